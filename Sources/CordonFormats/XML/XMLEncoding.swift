/// Turns an XML document's bytes into UTF-8 before parsing (XML 1.0 §4.3.3 and Appendix F):
/// UTF-8 as is (the default, with or without its byte order mark); UTF-16 when the text starts
/// with a UTF-16 byte order mark or with `<?` in UTF-16; ISO-8859-1 (Latin-1) and windows-1252
/// when the XML declaration names them. Any other declared encoding is refused with its name.
///
/// Stateless; `Sendable`. Line numbers are kept (columns of transcoded text count UTF-8 bytes).
enum XMLEncoding {
    static func utf8(_ bytes: [UInt8], file: String) throws(FormatError) -> [UInt8] {
        if let littleEndian = utf16Order(bytes) {
            return try fromUTF16(bytes, littleEndian: littleEndian, file: file)
        }
        guard let declared = declaredEncoding(bytes) else { return bytes }
        switch declared.lowercased() {
        case "utf-8", "utf8", "us-ascii", "ascii":
            return bytes
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1":
            return fromSingleByte(bytes) { UInt32($0) }
        case "windows-1252", "cp1252":
            var undefined: Int?
            let out = fromSingleByte(bytes) { byte in
                guard (0x80...0x9F).contains(byte) else { return UInt32(byte) }
                let scalar = windows1252High[Int(byte - 0x80)]
                if scalar == 0 && undefined == nil { undefined = Int(byte) }
                return scalar
            }
            if let undefined {
                throw .syntax(
                    file: file, line: 1, column: 1,
                    message: "byte 0x\(String(undefined, radix: 16, uppercase: true)) is not a windows-1252 character (the declared encoding)")
            }
            return out
        case "utf-16", "utf16", "utf-16le", "utf-16be":
            throw .syntax(file: file, line: 1, column: 1, message: "the declaration names \(declared), but the text is not UTF-16 (no byte order mark)")
        default:
            throw .syntax(
                file: file, line: 1, column: 1,
                message: "encoding \"\(declared)\" is not supported: convert the file to UTF-8 (UTF-16, ISO-8859-1 and windows-1252 are read too)")
        }
    }

    /// true for little-endian UTF-16, false for big-endian, nil when the text is not UTF-16.
    private static func utf16Order(_ b: [UInt8]) -> Bool? {
        guard b.count >= 2 else { return nil }
        if b[0] == 0xFF && b[1] == 0xFE { return true }
        if b[0] == 0xFE && b[1] == 0xFF { return false }
        guard b.count >= 4 else { return nil }
        if b[0] == 0x3C && b[1] == 0 && b[2] == 0x3F && b[3] == 0 { return true }  // "<?" without a mark
        if b[0] == 0 && b[1] == 0x3C && b[2] == 0 && b[3] == 0x3F { return false }
        return nil
    }

    private static func fromUTF16(_ b: [UInt8], littleEndian: Bool, file: String) throws(FormatError) -> [UInt8] {
        guard b.count % 2 == 0 else {
            throw .syntax(file: file, line: 1, column: 1, message: "the text is UTF-16 but has an odd number of bytes: the file is truncated")
        }
        var units: [UInt16] = []
        units.reserveCapacity(b.count / 2)
        var k = 0
        while k < b.count {
            let (lo, hi) = littleEndian ? (b[k], b[k + 1]) : (b[k + 1], b[k])
            units.append(UInt16(hi) << 8 | UInt16(lo))
            k += 2
        }
        if units.first == 0xFEFF { units.removeFirst() }
        var out: [UInt8] = []
        out.reserveCapacity(units.count + units.count / 2)
        var line = 1
        var bad = false
        var decoder = UTF16()
        var iterator = units.makeIterator()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
                out.append(contentsOf: scalar.utf8)
            case .emptyInput:
                break loop
            case .error:
                bad = true
                break loop
            }
        }
        if bad { throw .syntax(file: file, line: line, column: 1, message: "the text is not valid UTF-16 (an unpaired surrogate)") }
        return out
    }

    private static func fromSingleByte(_ b: [UInt8], _ scalar: (UInt8) -> UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 8)
        for byte in b {
            if byte < 0x80 {
                out.append(byte)
            } else if let s = Unicode.Scalar(scalar(byte)) {
                out.append(contentsOf: s.utf8)
            }
        }
        return out
    }

    /// The `encoding` pseudo-attribute of an XML declaration at the start of an ASCII-compatible
    /// text (after an optional UTF-8 byte order mark), or nil.
    private static func declaredEncoding(_ b: [UInt8]) -> String? {
        var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard b[i...].starts(with: Array("<?xml".utf8)) else { return nil }
        i += 5
        guard let end = b[i...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let name = Array("encoding".utf8)
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
        while i + name.count <= end {
            if b[i..<(i + name.count)].elementsEqual(name) { break }
            i += 1
        }
        i += name.count
        while i < end && isSpace(b[i]) { i += 1 }
        guard i < end, b[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        while i < end && isSpace(b[i]) { i += 1 }
        guard i < end, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { return nil }
        let quote = b[i]
        guard let close = b[(i + 1)..<end].firstIndex(of: quote) else { return nil }
        return String(decoding: b[(i + 1)..<close], as: UTF8.self)
    }

    /// windows-1252 bytes 0x80–0x9F (0: not a character).
    private static let windows1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]
}
