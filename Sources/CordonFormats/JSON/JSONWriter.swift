public import CordonCore

/// Writes `JSONValue`s as compact or indented JSON text.
///
/// A value type; `Sendable`. Numbers that are integral and below 2^53 are written without a
/// fraction; others in Swift's shortest round-trip form, so reading back gives the same Double.
/// Non-finite numbers (which JSON cannot hold) are written as `null`.
public struct JSONWriter: Sendable {
    /// Spaces per level, or nil for compact output.
    public var indent: Int?

    public init(indent: Int? = nil) { self.indent = indent }

    public func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, level: 0)
        return out
    }

    public func write(_ value: JSONValue, into out: inout String, level: Int = 0) {
        switch value {
        case .null: out += "null"
        case .bool(let v): out += v ? "true" : "false"
        case .number(let v): out += JSONWriter.number(v)
        case .string(let s): JSONWriter.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += "," }
                newline(&out, level + 1)
                write(item, into: &out, level: level + 1)
            }
            newline(&out, level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (k, m) in members.enumerated() {
                if k > 0 { out += "," }
                newline(&out, level + 1)
                JSONWriter.quote(m.key, into: &out)
                out += indent == nil ? ":" : ": "
                write(m.value, into: &out, level: level + 1)
            }
            newline(&out, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    /// A number as JSON text.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 {
            return v == 0 ? "0" : String(Int64(v))
        }
        return String(v)
    }

    /// Appends the UTF-8 bytes of `number(v)`: integral values below 2^53 digit by digit.
    public static func number(_ v: Double, into out: inout [UInt8]) {
        guard v.isFinite, v == v.rounded(), abs(v) < 9_007_199_254_740_992 else {
            out.append(contentsOf: number(v).utf8)
            return
        }
        let n = Int64(v)
        if n < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var k = 20
            var m = n.magnitude
            repeat {
                k -= 1
                digits[k] = UInt8(48 + m % 10)
                m /= 10
            } while m != 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[k..<20]))
        }
    }

    /// Appends the UTF-8 bytes of `s` as a JSON string literal: `"`, `\\`, line feed, carriage
    /// return and tab by their short escapes, other control characters as `\u00xx`.
    public static func quote(_ s: String, into out: inout [UInt8]) {
        var text = s
        text.withUTF8 { bytes in
            // Most strings need no escape: one pass to see it, one copy.
            var clean = true
            for u in bytes where u < 0x20 || u == 0x22 || u == 0x5C {
                clean = false
                break
            }
            if clean {
                out.reserveCapacity(out.count + bytes.count + 2)
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
            } else {
                quoteEscaping(bytes, into: &out)
            }
        }
    }

    private static func quoteEscaping(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Runs of bytes that need no escape are copied whole.
        var run = 0
        for (k, u) in bytes.enumerated() where u < 0x20 || u == 0x22 || u == 0x5C {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<k]))
            run = k + 1
            switch u {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(u >> 4)], hex[Int(u & 15)]]
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters
    /// (the bytes of `quote(_:into:)` for bytes).
    public static func quote(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        quote(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

}
