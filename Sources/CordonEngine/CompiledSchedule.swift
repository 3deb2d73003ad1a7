// Foundation is used for one thing: the IANA time-zone rules (tzdata) behind a schedule's
// local time. Everything else in the engine is the standard library.
import Foundation
public import CordonCore

/// A zone's weekly schedule with its time zone resolved, ready to answer "is it on at t?".
///
/// A value; `Sendable`. Local time is UTC plus the zone's offset at that instant (tzdata), so
/// windows follow daylight-saving changes: on a spring-forward day the skipped local hour never
/// occurs, on a fall-back day the repeated hour is inside a window twice. A window whose end
/// is not after its start runs past midnight into the next day (which then need not be listed).
/// An unknown time zone (the importer refuses them) makes the schedule always on: fail-safe.
public struct CompiledSchedule: Sendable {
    public let schedule: Schedule
    private let timeZone: TimeZone?

    public init(_ schedule: Schedule) {
        self.schedule = schedule
        self.timeZone = TimeZone(identifier: schedule.timeZone)
    }

    /// Whether some window holds the local time of `t`.
    public func isActive(at t: Timestamp) -> Bool {
        guard let timeZone else { return true }
        let seconds = Self.floorDivide(t.millisecondsSinceEpoch, 1000)
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        let (weekday, minute) = Self.localWeekdayAndMinute(utcSeconds: seconds, offsetSeconds: offset)
        return Self.isActive(windows: schedule.windows, weekday: weekday, minute: minute)
    }

    /// ISO weekday (Monday 1) and minute of the day of a local time.
    static func localWeekdayAndMinute(utcSeconds: Int64, offsetSeconds: Int64) -> (Int, Int) {
        let local = utcSeconds + offsetSeconds
        let days = floorDivide(local, 86_400)
        let minute = Int((local - days * 86_400) / 60)
        // 1970-01-01 was a Thursday (ISO 4).
        let weekday = Int(((days + 3) % 7 + 7) % 7) + 1
        return (weekday, minute)
    }

    static func isActive(windows: [Schedule.Window], weekday: Int, minute: Int) -> Bool {
        let yesterday = weekday == 1 ? 7 : weekday - 1
        for w in windows {
            if w.endMinute > w.startMinute {
                if minute >= w.startMinute, minute < w.endMinute, w.days.contains(where: { $0.rawValue == weekday }) {
                    return true
                }
            } else {
                if minute >= w.startMinute, w.days.contains(where: { $0.rawValue == weekday }) { return true }
                if minute < w.endMinute, w.days.contains(where: { $0.rawValue == yesterday }) { return true }
            }
        }
        return false
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
