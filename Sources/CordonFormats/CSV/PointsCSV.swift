public import CordonCore

/// Query points from CSV: a header naming at least `id`, `lat` and `lon` (any order, other
/// columns ignored; `latitude`/`longitude`/`lng` accepted, the short name preferred; one name twice is refused), one point per row. RFC 4180 fields
/// (`CSVFields`), CRLF or LF line ends, an optional UTF-8 byte-order mark; spaces and tabs
/// around lat and lon are not part of them, ids are taken as written.
///
/// A value type; `Sendable`. Reads the whole input at once; coordinates are checked like every
/// other input (finite, in range). A bad row is an error naming its line.
public struct PointsCSV: Sendable {
    public var ids: [String] = []
    public var coordinates: [Coordinate] = []

    public init() {}

    public static func read(_ bytes: [UInt8], file: String) throws(FormatError) -> PointsCSV {
        let result: Result<PointsCSV, FormatError> = bytes.withUnsafeBufferPointer { b in
            var out = PointsCSV()
            var i = 0
            var line = 1
            if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            // Header.
            let (header, headerEnd) = CSVFields.row(b, from: &i, to: b.count, line: &line)
            guard !headerEnd.unclosedQuote else {
                return .failure(.syntax(file: file, line: 1, column: 1, message: "a quoted header field is not closed"))
            }
            let names = header.map { CSVFields.text(b, $0).trimmed.lowercased() }
            // Per role, the column with the most preferred name; that name given twice is refused
            // (the answer would be a guess).
            var ambiguous: String?
            func column(_ options: [String]) -> Int? {
                for name in options {
                    let found = names.indices.filter { names[$0] == name }
                    if found.count > 1, ambiguous == nil {
                        ambiguous = "the header names column \"\(name)\" more than once (columns \(found.map { String($0 + 1) }.joined(separator: ", ")))"
                    }
                    if let first = found.first { return first }
                }
                return nil
            }
            let idColumn = column(["id"])
            let latColumn = column(["lat", "latitude"])
            let lonColumn = column(["lon", "lng", "longitude"])
            if let ambiguous { return .failure(.syntax(file: file, line: 1, column: 1, message: ambiguous)) }
            guard let idColumn, let latColumn, let lonColumn else {
                return .failure(
                    .syntax(
                        file: file, line: 1, column: 1,
                        message: "the header must name id, lat and lon columns (found: \(names.joined(separator: ",")))\(CSVFields.separatorHint(names))"))
            }
            line += 1
            let needed = max(idColumn, latColumn, lonColumn)
            let fields = UnsafeMutableBufferPointer<CSVFields.Field>.allocate(capacity: needed + 1)
            fields.initialize(repeating: CSVFields.Field())
            defer { fields.deallocate() }
            while i < b.count {
                let rowStart = i, rowLine = line
                let end = CSVFields.row(b, from: &i, to: b.count, line: &line, into: fields)
                line += 1
                guard !end.unclosedQuote else {
                    return .failure(.syntax(file: file, line: rowLine, column: 1, message: "a quoted field is not closed before the end of the file"))
                }
                if end.isBlank(first: fields[0]) { continue }
                guard end.count > needed else {
                    return .failure(.syntax(file: file, line: rowLine, column: 1, message: "row has \(end.count) fields, the header has \(names.count)"))
                }
                // Spaces around a number are not part of it (`39.9, 116.4`).
                func number(_ c: Int) -> Double? { parseDecimal(UnsafeBufferPointer(rebasing: b[CSVFields.trimmed(b, fields[c])])) }
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
                out.ids.append(CSVFields.text(b, fields[idColumn]))
                out.coordinates.append(c)
            }
            return .success(out)
        }
        return try result.get()
    }
}
