import CordonCore

/// Reads zones from text with one zone per line: `id<TAB>WKT`, where WKT is a POLYGON or
/// MULTIPOLYGON (Z/M/ZM accepted, extra ordinates ignored). Blank lines and lines starting
/// with `#` are skipped. Properties come from `ZoneReadOptions.defaultProperties` (CLI flags).
///
/// A value type; `Sendable`. A malformed line is a diagnostic with its line and column; the
/// other lines are still read.
public struct WKTReader: Sendable {
    public var options: ZoneReadOptions

    public init(options: ZoneReadOptions = ZoneReadOptions()) { self.options = options }

    public func read(_ bytes: [UInt8], file: String) throws(FormatError) -> ZoneFileReadResult {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .syntax(file: file, line: 1, column: 1, message: "the file is not valid UTF-8 text")
        }
        var result = ZoneFileReadResult(file: file)
        let interpreter = ZoneInterpreter(file: file, options: options)
        var index = 0
        // "\r\n" is one Character in Swift, so split on both spellings of a line end.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (lineOffset, rawLine) in lines.enumerated() {
            let lineNumber = lineOffset + 1
            var line = Substring(rawLine)
            if line.last == "\r" { line.removeLast() }
            if line.allSatisfy(\.isWhitespace) || line.first == "#" { continue }
            defer { index += 1 }
            guard let tab = line.firstIndex(of: "\t") else {
                result.diagnostics.append(
                    Diagnostic(.error, "syntax", "expected id<TAB>WKT", file: file, featureIndex: index, line: lineNumber, column: 1))
                continue
            }
            let id = String(line[..<tab]).trimmed
            let wkt = line[line.index(after: tab)...]
            let column = line.utf8.distance(from: line.startIndex, to: tab) + 2
            var parser = WKTParser(text: Array(wkt.utf8))
            do throws(WKTParser.Failure) {
                let geometry = try parser.geometry()
                var properties: [JSONMember] = []
                if !id.isEmpty { properties.append(JSONMember("id", .string(id))) }
                switch geometry {
                case .polygons(let polygons, let isMulti):
                    interpreter.zone(
                        index: index, properties: properties, fallbackID: nil, polygons: polygons, isMulti: isMulti,
                        into: &result)
                case .other(let type):
                    result.diagnostics.append(
                        Diagnostic(
                            .error, "not_polygon", "geometry is a \(type); a zone must be a POLYGON or MULTIPOLYGON",
                            file: file, featureIndex: index, featureID: id.isEmpty ? nil : id, line: lineNumber, column: column))
                }
            } catch {
                result.diagnostics.append(
                    Diagnostic(
                        .error, "syntax", error.message, file: file, featureIndex: index, featureID: id.isEmpty ? nil : id,
                        line: lineNumber, column: column + error.offset))
            }
            result.featureCount += 1
        }
        return result
    }
}

/// A recursive-descent WKT parser for the polygonal types, bounded by the text it is given.
struct WKTParser {
    enum Geometry {
        case polygons(ZoneInterpreter.RawPolygons, isMulti: Bool)
        case other(String)
    }

    struct Failure: Error {
        let offset: Int
        let message: String
    }

    let text: [UInt8]
    var i = 0

    init(text: [UInt8]) { self.text = text }

    mutating func skipSpace() { while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }

    mutating func word() -> String {
        skipSpace()
        let start = i
        while i < text.count, (text[i] >= 65 && text[i] <= 90) || (text[i] >= 97 && text[i] <= 122) { i += 1 }
        return String(decoding: text[start..<i], as: UTF8.self).uppercased()
    }

    mutating func expect(_ c: UInt8) throws(Failure) {
        skipSpace()
        guard i < text.count else { throw Failure(offset: i, message: "unexpected end of line, expected '\(Character(Unicode.Scalar(c)))'") }
        guard text[i] == c else {
            throw Failure(offset: i, message: "expected '\(Character(Unicode.Scalar(c)))', found '\(Character(Unicode.Scalar(text[i])))'")
        }
        i += 1
    }

    mutating func peek(_ c: UInt8) -> Bool {
        skipSpace()
        return i < text.count && text[i] == c
    }

    mutating func geometry() throws(Failure) -> Geometry {
        let type = word()
        guard !type.isEmpty else { throw Failure(offset: i, message: "expected a WKT geometry type such as POLYGON") }
        var dimension = word()
        if dimension == "EMPTY" {
            try end()
            return type == "POLYGON" || type == "MULTIPOLYGON" ? .polygons([], isMulti: type == "MULTIPOLYGON") : .other(type)
        }
        guard ["", "Z", "M", "ZM"].contains(dimension) else { throw Failure(offset: i, message: "unexpected \(dimension)") }
        if peek(UInt8(ascii: "E")) {
            dimension = word()
            guard dimension == "EMPTY" else { throw Failure(offset: i, message: "unexpected \(dimension)") }
            try end()
            return .polygons([], isMulti: type == "MULTIPOLYGON")
        }
        switch type {
        case "POLYGON":
            let p = try polygon()
            try end()
            return .polygons([p], isMulti: false)
        case "MULTIPOLYGON":
            var parts: ZoneInterpreter.RawPolygons = []
            try expect(UInt8(ascii: "("))
            repeat { parts.append(try polygon()) } while try comma()
            try expect(UInt8(ascii: ")"))
            try end()
            return .polygons(parts, isMulti: true)
        case "POINT", "LINESTRING", "MULTIPOINT", "MULTILINESTRING", "GEOMETRYCOLLECTION", "LINEARRING", "TRIANGLE", "TIN",
            "POLYHEDRALSURFACE", "CIRCULARSTRING", "CURVEPOLYGON", "MULTISURFACE":
            return .other(type)
        default:
            throw Failure(offset: 0, message: "unknown WKT geometry type \(type)")
        }
    }

    mutating func end() throws(Failure) {
        skipSpace()
        guard i == text.count else { throw Failure(offset: i, message: "unexpected text after the geometry") }
    }

    mutating func comma() throws(Failure) -> Bool {
        if peek(UInt8(ascii: ",")) { i += 1; return true }
        return false
    }

    mutating func polygon() throws(Failure) -> [[Coordinate]] {
        var rings: [[Coordinate]] = []
        try expect(UInt8(ascii: "("))
        repeat {
            try expect(UInt8(ascii: "("))
            var ring: [Coordinate] = []
            repeat { ring.append(try position()) } while try comma()
            try expect(UInt8(ascii: ")"))
            rings.append(ring)
        } while try comma()
        try expect(UInt8(ascii: ")"))
        return rings
    }

    mutating func position() throws(Failure) -> Coordinate {
        let x = try number()
        let y = try number()
        // Ignore Z and M.
        while true {
            skipSpace()
            guard i < text.count, text[i] != UInt8(ascii: ","), text[i] != UInt8(ascii: ")") else { break }
            _ = try number()
        }
        return Coordinate(longitude: x, latitude: y)
    }

    mutating func number() throws(Failure) -> Double {
        skipSpace()
        let start = i
        while i < text.count {
            let c = text[i]
            if c == 0x20 || c == 0x09 || c == UInt8(ascii: ",") || c == UInt8(ascii: ")") || c == UInt8(ascii: "(") { break }
            i += 1
            if i - start > 400 { throw Failure(offset: start, message: "number literal too long") }
        }
        let literal = String(decoding: text[start..<i], as: UTF8.self)
        guard !literal.isEmpty, let v = Double(literal) else {
            throw Failure(offset: start, message: literal.isEmpty ? "expected a number" : "\"\(literal)\" is not a number")
        }
        return v
    }
}
