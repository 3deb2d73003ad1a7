/// A day of the week, ISO numbering (Monday = 1). A value; `Sendable`.
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// Three-letter lowercase name as written in zone files (`mon` … `sun`).
    public var shortName: String {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][rawValue - 1]
    }

    public init?(shortName: String) {
        guard let day = Weekday.allCases.first(where: { $0.shortName == shortName.lowercased() }) else {
            return nil
        }
        self = day
    }

    public static func < (a: Weekday, b: Weekday) -> Bool { a.rawValue < b.rawValue }
}

/// When a zone is enforced: weekly windows in local time of an IANA time zone.
///
/// A value type; `Sendable`. A zone without a schedule is always enforced (within its
/// validity dates). A window whose end is not after its start runs past midnight into the
/// next day. Evaluation against a clock belongs to the engine; this type only holds the rule.
public struct Schedule: Sendable, Hashable {
    /// One weekly window: on each of `days`, from `startMinute` to `endMinute` (minutes after
    /// local midnight, end exclusive, 0...1440).
    /// A value; `Sendable`.
    public struct Window: Sendable, Hashable {
        public var days: [Weekday]
        public var startMinute: Int
        public var endMinute: Int

        public init(days: [Weekday], startMinute: Int, endMinute: Int) {
            self.days = days
            self.startMinute = startMinute
            self.endMinute = endMinute
        }

        /// `HH:MM` for a minute of the day (1440 is `24:00`).
        public static func clockText(_ minute: Int) -> String {
            let h = minute / 60, m = minute % 60
            return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
        }

        /// Parses `HH:MM` (00:00 … 24:00); nil when malformed.
        public static func minute(fromClockText text: String) -> Int? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
                let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0...59).contains(m)
            else { return nil }
            let total = h * 60 + m
            return total <= 1440 ? total : nil
        }
    }

    /// IANA time zone identifier, e.g. `Asia/Shanghai`.
    public var timeZone: String
    public var windows: [Window]

    public init(timeZone: String, windows: [Window]) {
        self.timeZone = timeZone
        self.windows = windows
    }
}
