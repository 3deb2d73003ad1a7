public import CordonCore

/// Query points from CSV: a header naming at least `id`, `lat` and `lon` (any order, other
/// columns ignored; `latitude`/`longitude` accepted), one point per row. RFC 4180: a field in
/// double quotes may hold commas, line breaks and doubled quotes; CRLF or LF line ends; an
/// optional UTF-8 byte-order mark.
///
/// A value type; `Sendable`. Reads the whole input at once; coordinates are checked like every
/// other input (finite, in range). A bad row is an error naming its line.
public struct PointsCSV: Sendable {
    public var ids: [String] = []
    public var coordinates: [Coordinate] = []

    public init() {}

    /// One field of a row: its bytes (inside the quotes when quoted), and whether it was quoted.
    struct Field {
        var start = 0, end = 0
        var quoted = false
    }

    public static func read(_ bytes: [UInt8], file: String) throws(FormatError) -> PointsCSV {
        let result: Result<PointsCSV, FormatError> = bytes.withUnsafeBufferPointer { b in
            var out = PointsCSV()
            var i = 0
            var line = 1
            if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            var fields: [Field] = []
            /// Splits the row at `i` into `fields` (all of them when `limit` is nil); returns its
            /// field count, or nil for a quote left open at the end of the input.
            func row(limit: Int?) -> Int? {
                fields.removeAll(keepingCapacity: true)
                var count = 0
                while true {
                    var f = Field(start: i, end: i)
                    if i < b.count, b[i] == 34 {
                        f.quoted = true
                        i += 1
                        f.start = i
                        while true {
                            guard i < b.count else { return nil }
                            if b[i] == 34 {
                                if i + 1 < b.count, b[i + 1] == 34 { i += 2; continue }
                                break
                            }
                            if b[i] == 10 { line += 1 }
                            i += 1
                        }
                        f.end = i
                        i += 1  // closing quote
                        while i < b.count, b[i] != 44, b[i] != 10 { i += 1 }  // stray bytes (a CR)
                    } else {
                        while i < b.count, b[i] != 44, b[i] != 10 { i += 1 }
                        f.end = i
                        if f.end > f.start, b[f.end - 1] == 13, i == b.count || b[i] == 10 { f.end -= 1 }
                    }
                    if limit.map({ count <= $0 }) ?? true { fields.append(f) }
                    count += 1
                    if i >= b.count || b[i] == 10 { break }
                    i += 1  // comma
                }
                i += 1  // line feed
                return count
            }
            func text(_ f: Field) -> String {
                let raw = UnsafeBufferPointer(rebasing: b[f.start..<f.end])
                guard f.quoted, raw.contains(34) else { return String(decoding: raw, as: UTF8.self) }
                var unescaped: [UInt8] = []  // a doubled quote stands for one
                var k = 0
                while k < raw.count {
                    unescaped.append(raw[k])
                    k += raw[k] == 34 && k + 1 < raw.count && raw[k + 1] == 34 ? 2 : 1
                }
                return String(decoding: unescaped, as: UTF8.self)
            }
            // Header.
            guard row(limit: nil) != nil else {
                return .failure(.syntax(file: file, line: 1, column: 1, message: "a quoted header field is not closed"))
            }
            let names = fields.map { text($0).lowercased() }
            func column(_ options: [String]) -> Int? { names.firstIndex(where: { options.contains($0) }) }
            guard let idColumn = column(["id"]), let latColumn = column(["lat", "latitude"]),
                let lonColumn = column(["lon", "lng", "longitude"])
            else {
                return .failure(.syntax(file: file, line: 1, column: 1, message: "the header must name id, lat and lon columns (found: \(names.joined(separator: ",")))"))
            }
            line += 1
            let needed = max(idColumn, latColumn, lonColumn)
            while i < b.count {
                let rowStart = i, rowLine = line
                guard let count = row(limit: needed) else {
                    return .failure(.syntax(file: file, line: rowLine, column: 1, message: "a quoted field is not closed before the end of the file"))
                }
                defer { line += 1 }
                if count == 1, !fields[0].quoted, fields[0].end == fields[0].start { continue }  // blank line
                guard count > needed else {
                    return .failure(.syntax(file: file, line: rowLine, column: 1, message: "row has \(count) fields, the header has \(names.count)"))
                }
                func number(_ c: Int) -> Double? { parseDecimal(UnsafeBufferPointer(rebasing: b[fields[c].start..<fields[c].end])) }
                let lat = number(latColumn), lon = number(lonColumn)
                guard let lat, let lon else {
                    let c = lat == nil ? latColumn : lonColumn
                    return .failure(.syntax(file: file, line: rowLine, column: fields[c].start - rowStart + 1,
                                            message: "\(lat == nil ? "lat" : "lon") is not a number"))
                }
                let c = Coordinate(longitude: lon, latitude: lat)
                guard c.isValid else {
                    return .failure(.syntax(file: file, line: rowLine, column: 1, message: "coordinate lat \(lat), lon \(lon) is not finite or out of range"))
                }
                out.ids.append(text(fields[idColumn]))
                out.coordinates.append(c)
            }
            return .success(out)
        }
        return try result.get()
    }

    /// `field` as one CSV field: as is, or in double quotes (quotes doubled) when it holds a
    /// comma, a quote or a line break.
    public static func escape(_ field: String) -> String {
        guard field.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return field }
        var out = "\""
        for ch in field {
            if ch == "\"" { out += "\"\"" } else { out.append(ch) }
        }
        return out + "\""
    }
}
