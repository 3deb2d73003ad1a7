/// RFC 4180 fields over bytes, for every CSV reader (query points, trip logs): a field in
/// double quotes may hold commas, line breaks and doubled quotes; bytes after a closing quote
/// up to the next comma or line end are ignored; a CR before a line feed is not part of the
/// last unquoted field. Stateless; `Sendable`.
public enum CSVFields {
    /// One field's bytes (inside the quotes when quoted).
    /// A value; `Sendable`.
    public struct Field: Sendable {
        public var start = 0, end = 0
        public var quoted = false
        @inlinable public init() {}
    }

    /// How a row ended: its field count, whether a quote was left open at the end of the
    /// bytes, and whether a line feed ended it.
    /// A value; `Sendable`.
    public struct RowEnd: Sendable {
        public var count = 0
        public var unclosedQuote = false
        public var lineFeed = false
        @inlinable init() {}
        /// A row of one empty unquoted field (`first`): a blank line, not a row.
        public func isBlank(first: Field) -> Bool { count == 1 && !first.quoted && first.end == first.start }
    }

    /// Splits the row that starts at `i` in `b[..<n]`: the bounds of its first `fields.count`
    /// fields go into `fields`, `i` moves past the row's line feed, and the line feeds inside
    /// quoted fields are added to `line`.
    @inlinable
    public static func row(
        _ b: UnsafeBufferPointer<UInt8>, from i: inout Int, to n: Int, line: inout Int, into fields: UnsafeMutableBufferPointer<Field>
    ) -> RowEnd {
        var end = RowEnd()
        while true {
            var f = Field()
            f.start = i
            if i < n, b[i] == 34 {
                f.quoted = true
                i += 1
                f.start = i
                while i < n {
                    if b[i] == 34 {
                        if i + 1 < n, b[i + 1] == 34 { i += 2; continue }
                        break
                    }
                    if b[i] == 10 { line += 1 }
                    i += 1
                }
                f.end = i
                if i < n { i += 1 } else { end.unclosedQuote = true }  // the closing quote
                while i < n, b[i] != 44, b[i] != 10 { i += 1 }  // stray bytes after it
            } else {
                i = fieldEnd(b, from: i, to: n)
                f.end = i
                if f.end > f.start, i == n || b[i] == 10, b[f.end - 1] == 13 { f.end -= 1 }
            }
            if end.count < fields.count { fields[end.count] = f }
            end.count += 1
            if i >= n || b[i] == 10 { break }
            i += 1  // comma
        }
        if i < n {
            i += 1
            end.lineFeed = true
        }
        return end
    }

    /// Every field of the row at `i` (for a header, whose width is not known before).
    public static func row(_ b: UnsafeBufferPointer<UInt8>, from i: inout Int, to n: Int, line: inout Int) -> ([Field], RowEnd) {
        var probeAt = i, probeLine = line
        let width = row(b, from: &probeAt, to: n, line: &probeLine, into: UnsafeMutableBufferPointer(start: nil, count: 0)).count
        var fields = [Field](repeating: Field(), count: width)
        let end = fields.withUnsafeMutableBufferPointer { row(b, from: &i, to: n, line: &line, into: $0) }
        return (fields, end)
    }

    /// The first comma or line feed in `b[start..<n]`, or `n`: eight bytes at a time while eight
    /// remain (a byte equal to the one sought becomes zero after an XOR, and the classic
    /// has-zero-byte test finds the first such byte exactly), then byte by byte.
    @inlinable @inline(__always)
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
        while i < n, b[i] != 44, b[i] != 10 { i += 1 }
        return i
    }

    /// The bytes of a field without the spaces and tabs around it, for a number or a time:
    /// hand-made files write `39.9, 116.4` (a space after each comma).
    @inlinable @inline(__always)
    public static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ f: Field) -> Range<Int> {
        var start = f.start, end = f.end
        // Most fields begin and end with neither: one test each.
        guard start < end, b[start] <= 0x20 || b[end - 1] <= 0x20 else { return start..<end }
        while start < end && (b[start] == 0x20 || b[start] == 0x09) { start += 1 }
        while end > start && (b[end - 1] == 0x20 || b[end - 1] == 0x09) { end -= 1 }
        return start..<end
    }

    /// What a header that is one field holding `;`, a tab or `|` says about its file, for an
    /// error message ("" otherwise).
    public static func separatorHint(_ names: [String]) -> String {
        guard names.count == 1, let separator = [";", "\t", "|"].first(where: { names[0].contains($0) }) else { return "" }
        return " (fields are separated by commas, not \(separator == "\t" ? "tabs" : "\"\(separator)\""))"
    }

    /// A field's text, a doubled quote inside a quoted field standing for one.
    public static func text(_ b: UnsafeBufferPointer<UInt8>, _ f: Field) -> String {
        let raw = UnsafeBufferPointer(rebasing: b[f.start..<f.end])
        guard f.quoted, raw.contains(34) else { return String(decoding: raw, as: UTF8.self) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(raw.count)
        var k = 0
        while k < raw.count {
            unescaped.append(raw[k])
            k += raw[k] == 34 && k + 1 < raw.count && raw[k + 1] == 34 ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
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
