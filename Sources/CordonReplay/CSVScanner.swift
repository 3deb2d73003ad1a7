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
        var line = 1
        let (header, end) = CSVFields.row(b, from: &i, to: b.count, line: &line)
        guard end.lineFeed || atEnd else { return nil }  // not complete yet
        let fields = header.map { CSVFields.text(b, $0).trimmingSpaces() }
        // Per role, the field with the most preferred name.
        var best: [ColumnNames.Role: (column: Int, rank: Int)] = [:]
        for (n, name) in fields.enumerated() {
            guard let (role, rank) = names.match(name) else { continue }
            if let seen = best[role], seen.rank == rank {
                // The same name twice (letter case aside): which one to read would be a guess.
                throw .input(
                    file: file,
                    message: "line 1: the header names \"\(name)\" for \(role.rawValue) twice (columns \(seen.column + 1) and \(n + 1))")
            }
            if rank < best[role]?.rank ?? .max { best[role] = (n, rank) }
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
        return (scanner, i)
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
        // Field bounds of the current row (a plain buffer: no uniqueness checks per store).
        let fields = UnsafeMutableBufferPointer<CSVFields.Field>.allocate(capacity: last + 1)
        fields.initialize(repeating: CSVFields.Field())
        defer { fields.deallocate() }
        while i < n {
            let rowStart = i
            let rowLine = line
            let end = CSVFields.row(b, from: &i, to: n, line: &line, into: fields)
            line += 1
            if end.isBlank(first: fields[0]) { continue }  // a blank line is not a row
            var row = TripRow()
            row.start = rowStart
            row.end = i
            row.line = rowLine
            guard end.count > last else {
                row.malformed = "row has \(end.count) fields, the header has \(headerFields)"
                rows.append(row)
                continue
            }
            read(b, fields, times: &times, into: &row)
            rows.append(row)
        }
        return line
    }

    private func read(
        _ b: UnsafeBufferPointer<UInt8>, _ fields: UnsafeMutableBufferPointer<CSVFields.Field>, times: inout TimeCache,
        into row: inout TripRow
    ) {
        func field(_ c: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[fields[c].start..<fields[c].end]) }
        guard row.takeVehicle(CSVFields.text(b, fields[vehicle]), raw: field(vehicle)) else { return }
        guard let t = times.time(field(time)) else {
            row.malformed = "timestamp \"\(FieldParse.preview(field(time)))\" is not ISO 8601 with a zone, nor epoch seconds or milliseconds"
            return
        }
        guard row.takeTime(t, label: "timestamp", raw: field(time)) else { return }
        row.latStart = fields[lat].start
        row.latEnd = fields[lat].end
        row.lonStart = fields[lon].start
        row.lonEnd = fields[lon].end
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
