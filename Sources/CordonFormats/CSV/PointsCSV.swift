public import CordonCore

/// Query points from CSV: a header naming at least `id`, `lat` and `lon` (any order, other
/// columns ignored; `latitude`/`longitude` accepted), one point per row.
///
/// A value type; `Sendable`. Reads the whole input at once; coordinates are checked like every
/// other input (finite, in range). A bad row is an error naming its line.
public struct PointsCSV: Sendable {
    public var ids: [String] = []
    public var coordinates: [Coordinate] = []

    public init() {}

    public static func read(_ bytes: [UInt8], file: String) throws(FormatError) -> PointsCSV {
        var out = PointsCSV()
        let result: Result<PointsCSV, FormatError> = bytes.withUnsafeBufferPointer { b in
            var i = 0
            var line = 1
            func field(_ s: Int, _ e: Int) -> UnsafeBufferPointer<UInt8> {
                var s = s, e = e
                if e > s, b[e - 1] == 13 { e -= 1 }  // CR of CRLF
                if e - s >= 2, b[s] == 34, b[e - 1] == 34 { s += 1; e -= 1 }  // "quoted"
                return UnsafeBufferPointer(rebasing: b[s..<e])
            }
            // Header.
            var names: [String] = []
            var start = 0
            if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3; start = 3 }
            while i < b.count && b[i] != 10 {
                if b[i] == 44 { names.append(String(decoding: field(start, i), as: UTF8.self).lowercased()); start = i + 1 }
                i += 1
            }
            names.append(String(decoding: field(start, i), as: UTF8.self).lowercased())
            func column(_ options: [String]) -> Int? { names.firstIndex(where: { options.contains($0) }) }
            guard let idColumn = column(["id"]), let latColumn = column(["lat", "latitude"]),
                let lonColumn = column(["lon", "lng", "longitude"])
            else {
                return .failure(.syntax(file: file, line: 1, column: 1, message: "the header must name id, lat and lon columns (found: \(names.joined(separator: ",")))"))
            }
            i += 1
            line = 2
            let needed = max(idColumn, latColumn, lonColumn)
            var starts = [Int](repeating: 0, count: needed + 2)
            while i < b.count {
                let rowStart = i
                var col = 0
                starts[0] = i
                while i < b.count && b[i] != 10 {
                    if b[i] == 44 {
                        col += 1
                        if col <= needed + 1 { starts[col] = i + 1 }
                    }
                    i += 1
                }
                let rowEnd = i
                i += 1
                defer { line += 1 }
                if rowEnd == rowStart || (rowEnd == rowStart + 1 && b[rowStart] == 13) { continue }  // blank line
                guard col >= needed else {
                    return .failure(.syntax(file: file, line: line, column: 1, message: "row has \(col + 1) fields, the header has \(names.count)"))
                }
                func end(_ c: Int) -> Int { c < col ? starts[c + 1] - 1 : rowEnd }
                let lat = parseDecimal(field(starts[latColumn], end(latColumn)))
                let lon = parseDecimal(field(starts[lonColumn], end(lonColumn)))
                guard let lat, let lon else {
                    return .failure(.syntax(file: file, line: line, column: starts[lat == nil ? latColumn : lonColumn] - rowStart + 1,
                                            message: "\(lat == nil ? "lat" : "lon") is not a number"))
                }
                let c = Coordinate(longitude: lon, latitude: lat)
                guard c.isValid else {
                    return .failure(.syntax(file: file, line: line, column: 1, message: "coordinate lat \(lat), lon \(lon) is not finite or out of range"))
                }
                out.ids.append(String(decoding: field(starts[idColumn], end(idColumn)), as: UTF8.self))
                out.coordinates.append(c)
            }
            return .success(out)
        }
        return try result.get()
    }
}
