#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CordonFormats

/// Splits CSV trip logs into rows and reads the fields that matter, leaving every byte where
/// it was (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF).
///
/// A value; `Sendable` once made from the header, so the halves of a block can be scanned on
/// different threads.
struct CSVScanner: Sendable {
    let file: String
    /// Column index per role.
    let vehicle: Int, time: Int, lat: Int, lon: Int
    let accuracy: Int?, speed: Int?, heading: Int?
    let headerFields: Int
    /// The largest column index read.
    let last: Int

    /// Reads the header line at the start of `b` (after an optional UTF-8 byte-order mark).
    /// Returns nil when the header line is not complete yet.
    static func header(_ b: UnsafeBufferPointer<UInt8>, atEnd: Bool, file: String, names: ColumnNames) throws(ReplayError)
        -> (CSVScanner, consumed: Int)?
    {
        var i = 0
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        guard let end = Bytes.lineEnd(b, from: i) ?? (atEnd ? b.count : nil) else { return nil }
        var fields: [String] = []
        var s = i
        var k = i
        var quoted = false
        while k <= end {
            if k < end, b[k] == UInt8(ascii: "\"") { quoted.toggle() }
            if k == end || (!quoted && b[k] == UInt8(ascii: ",")) {
                var e = k
                if e > s, b[e - 1] == 13 { e -= 1 }
                var f = String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
                if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
                fields.append(f.trimmingSpaces())
                s = k + 1
            }
            k += 1
        }
        // Per role, the field with the most preferred name.
        var best: [ColumnNames.Role: (column: Int, rank: Int)] = [:]
        for (n, name) in fields.enumerated() {
            if let (role, rank) = names.match(name), rank < best[role]?.rank ?? .max { best[role] = (n, rank) }
        }
        let at = best.mapValues(\.column)
        let missing = ColumnNames.required.filter { at[$0] == nil }
        guard missing.isEmpty, let v = at[.vehicleID], let t = at[.timestamp], let la = at[.lat], let lo = at[.lon] else {
            throw .input(
                file: file,
                message: "line 1: the header lacks \(missing.map(\.rawValue).joined(separator: ", ")) "
                    + "(found: \(fields.joined(separator: ","))); map other names with --columns ROLE=NAME")
        }
        let scanner = CSVScanner(
            file: file, vehicle: v, time: t, lat: la, lon: lo, accuracy: at[.accuracy], speed: at[.speed],
            heading: at[.heading], headerFields: fields.count, last: at.values.max() ?? 0)
        return (scanner, min(end + 1, b.count))
    }

    /// The length of the longest prefix of `b` made of whole rows, and a row boundary near its
    /// middle (for splitting the work in two). Quotes are followed, so a line break inside a
    /// quoted field does not end a row.
    static func completeRows(_ b: UnsafeBufferPointer<UInt8>) -> (length: Int, middle: Int) {
        guard let base = b.baseAddress, !b.isEmpty else { return (0, 0) }
        if memchr(base, Int32(UInt8(ascii: "\"")), b.count) == nil {
            return Bytes.completeLines(b)
        }
        var quoted = false
        var length = 0
        var middle = 0
        for k in 0..<b.count {
            let c = b[k]
            if c == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if c == 10 && !quoted {
                length = k + 1
                if middle == 0 && k >= b.count / 2 { middle = length }
            }
        }
        return (length, middle == 0 ? length : middle)
    }

    /// Scans the whole rows in `b[range]`, the first on line `firstLine`; appends them to `rows`.
    /// Returns the line after the last row.
    func scan(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int, into rows: inout [TripRow]) -> Int {
        var i = range.lowerBound
        let n = range.upperBound
        var line = firstLine
        var times = TimeCache()
        // Field bounds of the current row (plain buffers: no uniqueness checks per store).
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: last + 1)
        let ends = UnsafeMutableBufferPointer<Int>.allocate(capacity: last + 1)
        let quotedField = UnsafeMutableBufferPointer<Bool>.allocate(capacity: last + 1)
        starts.initialize(repeating: 0)
        ends.initialize(repeating: 0)
        quotedField.initialize(repeating: false)
        defer {
            starts.deallocate()
            ends.deallocate()
            quotedField.deallocate()
        }
        while i < n {
            let rowStart = i
            let rowLine = line
            var column = 0
            var seen = 0
            // Fields until the end of the row.
            while true {
                var s = i
                var e = i
                var quoted = false
                if i < n, b[i] == UInt8(ascii: "\"") {
                    quoted = true
                    i += 1
                    s = i
                    while i < n {
                        if b[i] == UInt8(ascii: "\"") {
                            if i + 1 < n, b[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                            break
                        }
                        if b[i] == 10 { line += 1 }
                        i += 1
                    }
                    e = i
                    if i < n { i += 1 }  // closing quote
                    while i < n, b[i] != UInt8(ascii: ","), b[i] != 10 { i += 1 }  // stray bytes after it
                } else {
                    i = Self.fieldEnd(b, from: i, to: n)
                    e = i
                    if e > s, (i == n || b[i] == 10), b[e - 1] == 13 { e -= 1 }
                }
                if column <= last {
                    starts[column] = s
                    ends[column] = e
                    quotedField[column] = quoted
                    seen = column + 1
                }
                column += 1
                if i >= n || b[i] == 10 { break }
                i += 1  // comma
            }
            if i < n { i += 1 }  // line feed
            line += 1
            // A blank line is not a row.
            if column == 1 && ends[0] - starts[0] == 0 && !quotedField[0] { continue }
            var row = TripRow()
            row.start = rowStart
            row.end = i
            row.line = rowLine
            guard seen > last else {
                row.malformed = "row has \(column) fields, the header has \(headerFields)"
                rows.append(row)
                continue
            }
            read(b, starts, ends, quotedField, times: &times, into: &row)
            rows.append(row)
        }
        return line
    }

    /// The first comma or line feed in `b[i..<n]`, or `n`: eight bytes at a time while eight
    /// remain (a byte equal to the one sought becomes zero after an XOR, and the classic
    /// has-zero-byte test finds the first such byte exactly), then byte by byte.
    @inline(__always)
    static func fieldEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to n: Int) -> Int {
        var i = start
        if let base = b.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let commas = v ^ 0x2C2C_2C2C_2C2C_2C2C, feeds = v ^ 0x0A0A_0A0A_0A0A_0A0A
                let found =
                    ((commas &- 0x0101_0101_0101_0101) & ~commas | (feeds &- 0x0101_0101_0101_0101) & ~feeds) & 0x8080_8080_8080_8080
                if found != 0 { return i + found.trailingZeroBitCount / 8 }
                i += 8
            }
        }
        while i < n, b[i] != UInt8(ascii: ","), b[i] != 10 { i += 1 }
        return i
    }

    private func read(
        _ b: UnsafeBufferPointer<UInt8>, _ starts: UnsafeMutableBufferPointer<Int>, _ ends: UnsafeMutableBufferPointer<Int>,
        _ quoted: UnsafeMutableBufferPointer<Bool>, times: inout TimeCache, into row: inout TripRow
    ) {
        func field(_ c: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[starts[c]..<ends[c]]) }
        let v = field(vehicle)
        if quoted[vehicle] && v.contains(UInt8(ascii: "\"")) {
            row.vehicle = FieldParse.text(v).replacingDoubledQuotes()
        } else {
            row.vehicle = FieldParse.text(v)
        }
        guard !row.vehicle.isEmpty else { row.malformed = "vehicle_id is empty"; return }
        guard let t = times.time(field(time)) else {
            row.malformed = "timestamp \"\(FieldParse.preview(field(time)))\" is not ISO 8601 with a zone, nor epoch seconds or milliseconds"
            return
        }
        row.time = t
        row.latStart = starts[lat]
        row.latEnd = ends[lat]
        row.lonStart = starts[lon]
        row.lonEnd = ends[lon]
        let latText = field(lat), lonText = field(lon)
        if latText.isEmpty && lonText.isEmpty {
            row.hasPosition = false  // a lost fix: the engine reports it
        } else {
            guard let y = parseDecimalOrSpecial(latText) else { row.malformed = "lat \"\(FieldParse.preview(latText))\" is not a number"; return }
            guard let x = parseDecimalOrSpecial(lonText) else { row.malformed = "lon \"\(FieldParse.preview(lonText))\" is not a number"; return }
            row.lat = y
            row.lon = x
            row.hasPosition = true
        }
        func optional(_ c: Int?, _ name: String) -> Double?? {
            guard let c else { return .some(nil) }
            guard let v = FieldParse.optionalNumber(field(c)) else {
                row.malformed = "\(name) \"\(FieldParse.preview(field(c)))\" is not a number"
                return nil
            }
            return .some(v)
        }
        guard let a = optional(accuracy, "accuracy"), let s = optional(speed, "speed"), let h = optional(heading, "heading") else { return }
        row.accuracy = a
        row.speed = s
        row.heading = h
    }
}

/// A decimal number, or the spellings of non-finite values (`nan`, `inf`), which are numbers
/// the range check then refuses.
func parseDecimalOrSpecial(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
    if let v = parseDecimal(b) { return v }
    switch String(decoding: b, as: UTF8.self).lowercased() {
    case "nan", "+nan", "-nan": return .nan
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    default: return nil
    }
}

extension String {
    func replacingDoubledQuotes() -> String {
        var out = ""
        var previousQuote = false
        for ch in self {
            if ch == "\"" && previousQuote { previousQuote = false; continue }
            previousQuote = ch == "\""
            out.append(ch)
        }
        return out
    }
}
