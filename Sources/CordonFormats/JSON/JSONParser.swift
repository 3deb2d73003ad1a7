#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CordonCore

/// A strict RFC 8259 JSON parser over bytes, hardened for untrusted files.
///
/// A value type holding only limits; `Sendable`. Each `parse` call owns its buffers. Limits:
/// nesting depth (default 128), so deep nesting gives an error instead of a stack overflow;
/// number literal length (default 400 bytes); duplicate object keys are refused. Errors
/// carry the 1-based line and column of the offending byte.
public struct JSONParser: Sendable {
    public var maximumDepth: Int
    public var maximumNumberLength: Int

    public init(maximumDepth: Int = 128, maximumNumberLength: Int = 400) {
        self.maximumDepth = maximumDepth
        self.maximumNumberLength = maximumNumberLength
    }

    /// Parses one JSON text (surrounding whitespace allowed, a leading UTF-8 BOM skipped).
    public func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONValue {
        let result: Result<JSONValue, FormatError> = bytes.withUnsafeBufferPointer { buffer in
            var state = State(bytes: buffer, limits: self)
            do throws(JSONSyntaxError) {
                let value = try state.document()
                return .success(value)
            } catch {
                let (line, column) = lineAndColumn(of: error.offset, in: buffer)
                return .failure(.syntax(file: file, line: line, column: column, message: error.message))
            }
        }
        return try result.get()
    }
}

struct JSONSyntaxError: Error {
    let offset: Int
    let message: String
}

private struct State {
    let b: UnsafeBufferPointer<UInt8>
    let limits: JSONParser
    var i = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONParser) {
        self.b = bytes
        self.limits = limits
    }

    func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? i, message: message)
    }

    func describe(_ offset: Int) -> String {
        guard offset < b.count else { return "end of input" }
        let c = b[offset]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        if b.count >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) {
            throw fail("the text is UTF-16 (it starts with a UTF-16 byte order mark); JSON must be UTF-8 (RFC 8259 §8.1)")
        }
        skipWhitespace()
        let v = try value()
        skipWhitespace()
        guard i == b.count else { throw fail("unexpected \(describe(i)) after the JSON value") }
        return v
    }

    mutating func skipWhitespace() {
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard i < b.count else { throw fail("unexpected end of input: the file is truncated") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected \(describe(i)) where a value was expected")
        }
    }

    mutating func literal(_ word: String) throws(JSONSyntaxError) {
        let start = i
        for u in word.utf8 {
            guard i < b.count else { throw fail("unexpected end of input in a literal", at: start) }
            guard b[i] == u else { throw fail("invalid literal (expected \(word))", at: start) }
            i += 1
        }
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > limits.maximumDepth {
            throw fail("nesting deeper than \(limits.maximumDepth) levels")
        }
    }

    mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        i += 1
        var members: [JSONMember] = []
        var keys: Set<String>? = nil
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an object: the file is truncated") }
            guard b[i] == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes, found \(describe(i))") }
            let keyStart = i
            let key = try string()
            if members.count < 16 {
                if members.contains(where: { $0.key == key }) {
                    throw fail("duplicate member name \"\(key)\"", at: keyStart)
                }
            } else {
                if keys == nil { keys = Set(members.map(\.key)) }
                if keys?.insert(key).inserted == false {
                    throw fail("duplicate member name \"\(key)\"", at: keyStart)
                }
            }
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an object: the file is truncated") }
            guard b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name, found \(describe(i))") }
            i += 1
            skipWhitespace()
            let v = try value()
            if members.count == 16 - 1 { keys = nil }
            members.append(JSONMember(key, v))
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an object: the file is truncated") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in an object, found \(describe(i))")
        }
        depth -= 1
        return .object(members)
    }

    mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an array: the file is truncated") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail("expected ',' or ']' in an array, found \(describe(i))")
        }
        depth -= 1
        return .array(items)
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        let start = i
        i += 1
        // Fast path: no escapes.
        var j = i
        while j < b.count {
            let c = b[j]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: b[i..<j])
                guard let s = String(validUTF8: slice) else {
                    throw fail("string is not valid UTF-8", at: start)
                }
                i = j + 1
                return s
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            j += 1
        }
        var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: b[i..<j]))
        i = j
        while true {
            guard i < b.count else { throw fail("unexpected end of input in a string: the file is truncated", at: start) }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character 0x\(String(c, radix: 16)) in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw fail("unexpected end of input in a string escape", at: start) }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("unpaired surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: i - 2)
            }
        }
        guard let s = out.withUnsafeBufferPointer({ String(validUTF8: $0) }) else { throw fail("string is not valid UTF-8", at: start) }
        return s
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw fail("invalid hex digit in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Parses a number exactly: Clinger's fast path when the mantissa has at most 15 digits
    /// and the decimal exponent is within ±22, `strtod` otherwise (correctly rounded).
    mutating func number() throws(JSONSyntaxError) -> Double {
        let start = i
        var negative = false
        if b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("invalid number: expected a digit", at: start) }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        if b[i] == 48 {
            i += 1
            if i < b.count, b[i] >= 48, b[i] <= 57 { throw fail("invalid number: leading zero", at: start) }
        } else {
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b[i] - 48); digits += 1 } else { exponent += 1 }
                i += 1
            }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("invalid number: expected a digit after '.'") }
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(b[i] - 48)
                    digits += 1
                    exponent -= 1
                }
                i += 1
            }
        }
        var explicitExponent = 0
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                expNegative = b[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("invalid number: expected exponent digits") }
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if explicitExponent < 100_000 { explicitExponent = explicitExponent * 10 + Int(b[i] - 48) }
                i += 1
            }
            if expNegative { explicitExponent = -explicitExponent }
        }
        let length = i - start
        guard length <= limits.maximumNumberLength else {
            throw fail("number literal of \(length) characters is longer than \(limits.maximumNumberLength)", at: start)
        }
        return decimalValue(
            negative: negative, mantissa: mantissa, digits: digits, exponent: exponent + explicitExponent,
            literal: UnsafeBufferPointer(rebasing: b[start..<i]))
    }
}

/// The correctly rounded Double of a decimal literal already split into sign, mantissa (its
/// first ≤ 19 digits), digit count and decimal exponent: Clinger's fast path when exact,
/// `strtod` on the literal otherwise.
@inline(__always)
func decimalValue(
    negative: Bool, mantissa: UInt64, digits: Int, exponent e: Int, literal: UnsafeBufferPointer<UInt8>
) -> Double {
    if digits <= 15 && e >= -22 && e <= 22 {
        var v = Double(mantissa)
        if e < 0 { v /= powersOfTen[-e] } else { v *= powersOfTen[e] }
        return negative ? -v : v
    }
    var text = [CChar](repeating: 0, count: literal.count + 1)
    for k in 0..<literal.count { text[k] = CChar(bitPattern: literal[k]) }
    return text.withUnsafeBufferPointer { p in p.baseAddress.map { strtod($0, nil) } ?? .nan }
}

/// Parses a whole field as a JSON-style decimal number (optional sign, digits, fraction,
/// exponent; a leading `+` is accepted); nil when it is anything else.
public func parseDecimal(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
    if let v = parsePlainDecimal(field) { return v }
    return parseDecimalLiteral(field)
}

/// The common case of `parseDecimal`, as trip logs and query files write coordinates: an
/// optional sign, at most 19 digits with at most one `.` among them, no exponent, and a value
/// Clinger's fast path rounds exactly (digits < 2⁵³ and at most 22 after the point). One pass,
/// one multiply-add per digit. Nil for anything else, which the full parser then decides
/// (so both accept and refuse the same literals, with the same values).
@inline(__always)
func parsePlainDecimal(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
    let n = field.count
    guard n > 0, n <= 21, let p = field.baseAddress else { return nil }
    let negative = p[0] == UInt8(ascii: "-")
    var i = negative || p[0] == UInt8(ascii: "+") ? 1 : 0
    var mantissa: UInt64 = 0
    var point = -1
    let digits = n - i
    guard digits > 0, digits <= 20 else { return nil }
    while i < n {
        let d = p[i] &- 48
        if d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
        } else if p[i] == UInt8(ascii: ".") && point < 0 {
            point = i
        } else {
            return nil
        }
        i += 1
    }
    // The digits counted: all but the point. At most 19 never wrap; "." alone has none.
    let count = point < 0 ? digits : digits - 1
    let fraction = point < 0 ? 0 : n - 1 - point
    guard count > 0, count <= 19, mantissa < 1 << 53, fraction <= 22 else { return nil }
    var v = Double(mantissa)
    if fraction > 0 { v /= powersOfTen[fraction] }
    return negative ? -v : v
}

/// `parseDecimal` for any literal: more digits than fit, exponents, values beyond the fast path.
func parseDecimalLiteral(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
    var i = 0
    let n = field.count
    guard n > 0, n <= 400 else { return nil }
    var negative = false
    if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") { negative = field[0] == UInt8(ascii: "-"); i = 1 }
    var mantissa: UInt64 = 0, digits = 0, exponent = 0, any = false
    while i < n, field[i] >= 48, field[i] <= 57 {
        any = true
        if digits < 19 { if mantissa != 0 || field[i] != 48 { mantissa = mantissa &* 10 &+ UInt64(field[i] - 48); digits += 1 } } else { exponent += 1 }
        i += 1
    }
    if i < n, field[i] == UInt8(ascii: ".") {
        i += 1
        while i < n, field[i] >= 48, field[i] <= 57 {
            any = true
            if digits < 19 {
                if mantissa != 0 || field[i] != 48 { mantissa = mantissa &* 10 &+ UInt64(field[i] - 48); digits += 1 }
                exponent -= 1
            }
            i += 1
        }
    }
    guard any else { return nil }
    if i < n, field[i] == UInt8(ascii: "e") || field[i] == UInt8(ascii: "E") {
        i += 1
        var expNegative = false
        if i < n, field[i] == UInt8(ascii: "+") || field[i] == UInt8(ascii: "-") { expNegative = field[i] == UInt8(ascii: "-"); i += 1 }
        guard i < n else { return nil }
        var x = 0
        while i < n, field[i] >= 48, field[i] <= 57 { if x < 100_000 { x = x * 10 + Int(field[i] - 48) }; i += 1 }
        exponent += expNegative ? -x : x
    }
    guard i == n else { return nil }
    return decimalValue(negative: negative, mantissa: mantissa, digits: digits, exponent: exponent, literal: field)
}

private let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]
