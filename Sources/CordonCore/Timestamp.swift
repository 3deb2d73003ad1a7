/// An instant in UTC, milliseconds since 1970-01-01T00:00:00Z.
///
/// A value type; `Sendable`. Parsing and formatting of ISO 8601 are done here by hand so the
/// core stays free of Foundation and the hot paths of later stages stay allocation-free.
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    public init(secondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = secondsSinceEpoch * 1000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    /// ISO 8601 in UTC: `2026-03-02T00:00:00Z`, with `.mmm` only when milliseconds are not zero.
    public var description: String { iso8601 }

    public var iso8601: String {
        let (y, m, d, secOfDay, milli) = fields
        guard (0...9999).contains(y) else { return iso8601Joined }
        // The common case, written digit by digit into one string (no pieces to join).
        return String(unsafeUninitializedCapacity: 24) { b in
            var k = 0
            func two(_ v: Int64) {
                b[k] = UInt8(48 + v / 10)
                b[k + 1] = UInt8(48 + v % 10)
                k += 2
            }
            func put(_ c: UInt8) {
                b[k] = c
                k += 1
            }
            two(y / 100); two(y % 100); put(0x2D); two(m); put(0x2D); two(d)
            put(0x54); two(secOfDay / 3600); put(0x3A); two(secOfDay / 60 % 60); put(0x3A); two(secOfDay % 60)
            if milli != 0 {
                put(0x2E); put(UInt8(48 + milli / 100)); two(milli % 100)
            }
            put(0x5A)
            return k
        }
    }

    /// `iso8601` joined from padded pieces: any year (a sign and more digits outside 0–9999).
    var iso8601Joined: String {
        let (y, m, d, secOfDay, milli) = fields
        var text = Timestamp.pad(y, 4) + "-" + Timestamp.pad(m, 2) + "-" + Timestamp.pad(d, 2)
        text += "T" + Timestamp.pad(secOfDay / 3600, 2) + ":" + Timestamp.pad(secOfDay / 60 % 60, 2)
        text += ":" + Timestamp.pad(secOfDay % 60, 2)
        if milli != 0 { text += "." + Timestamp.pad(milli, 3) }
        return text + "Z"
    }

    /// Year, month, day, second of the day and millisecond (UTC).
    private var fields: (Int64, Int64, Int64, Int64, Int64) {
        let ms = millisecondsSinceEpoch
        var seconds = ms / 1000
        var milli = ms % 1000
        if milli < 0 { milli += 1000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        return (y, m, d, secOfDay, milli)
    }

    /// Parses ISO 8601 / RFC 3339: `YYYY-MM-DDTHH:MM[:SS[.fff…]](Z|±HH[[:]MM])`, or a bare date
    /// `YYYY-MM-DD` meaning midnight UTC. A space may stand for `T`. Nil when malformed or
    /// when a field is out of range. Fractions beyond milliseconds are truncated.
    public init?(iso8601 text: String) {
        var utf8 = Array(text.utf8)
        guard let value = utf8.withUnsafeMutableBufferPointer({ Timestamp.parse(UnsafeBufferPointer($0)) }) else {
            return nil
        }
        self.millisecondsSinceEpoch = value
    }

    /// The times a position fix may carry: from 1970-01-01 up to (not including) 2200-01-01
    /// UTC. Earlier or later is a broken clock or a misread field (epoch seconds taken for
    /// milliseconds, a year 1), refused on every input path rather than applied.
    public static let plausibleFixTimes: Range<Int64> = 0..<7_258_118_400_000

    /// Why `millisecondsSinceEpoch` cannot be a fix's time (a phrase), or nil.
    public static func fixTimeProblem(_ millisecondsSinceEpoch: Int64) -> String? {
        plausibleFixTimes.contains(millisecondsSinceEpoch) ? nil : "is outside the years 1970 to 2199"
    }

    // MARK: - Parsing

    /// Parses ISO 8601 bytes into milliseconds since the epoch; nil when malformed.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = b.count
        func digits(_ count: Int) -> Int64? {
            guard i + count <= n else { return nil }
            var v: Int64 = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else {
            return nil
        }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        let dayNumber = days(fromCivil: year, month, day)
        if i == n { return dayNumber * 86_400_000 }
        guard i < n, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }  // T t space
        i += 1
        guard let hour = digits(2), expect(58), let minute = digits(2) else { return nil }
        var second: Int64 = 0
        var milli: Int64 = 0
        if expect(58) {
            guard let s = digits(2) else { return nil }
            second = s
            if i < n && (b[i] == 46 || b[i] == 44) {  // . or ,
                i += 1
                var scale: Int64 = 100
                var any = false
                while i < n, b[i] >= 48, b[i] <= 57 {
                    milli += Int64(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
            }
        }
        guard hour <= 24, minute <= 59, second <= 60 else { return nil }
        if hour == 24 && (minute != 0 || second != 0 || milli != 0) { return nil }
        var offsetMinutes: Int64 = 0
        guard i < n else { return nil }  // a time needs a zone designator
        if b[i] == 90 || b[i] == 122 {  // Z z
            i += 1
        } else if b[i] == 43 || b[i] == 45 {  // + -
            let sign: Int64 = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2), oh <= 23 else { return nil }
            // `±HH:MM`, `±HHMM`, or `±HH` alone (ISO 8601; PostgreSQL writes `+00`).
            var om: Int64 = 0
            if i < n {
                _ = expect(58)
                guard let m = digits(2), m <= 59 else { return nil }
                om = m
            }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == n else { return nil }
        // A leap second (:60) is folded onto the next second, as POSIX time does.
        let secs = dayNumber * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return secs * 1000 + milli
    }

    // MARK: - Civil calendar (H. Hinnant's days_from_civil / civil_from_days)

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
