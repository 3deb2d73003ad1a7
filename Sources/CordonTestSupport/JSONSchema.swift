public import CordonCore
import CordonFormats

/// A JSON Schema (draft 2020-12) validator for the subset Cordon's schemas use: `type`,
/// `enum`, `const`, `required`, `properties`, `additionalProperties` (boolean), `items`,
/// `minItems`, `maxItems`, `uniqueItems`, `minimum`, `exclusiveMinimum`, `minLength`,
/// `pattern`, `$ref` to `#/$defs/…`, `allOf`, `if`/`then`/`else`, `not`. Any other keyword
/// (except annotations such as `title`) is an error, so a schema cannot silently ask for
/// more than is checked.
///
/// A value; `Sendable`.
public struct JSONSchema: Sendable {
    public let root: JSONValue

    public init(_ root: JSONValue) { self.root = root }

    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$defs", "$comment", "examples", "default"]

    /// The violations of `value` (empty when valid), each with a JSON pointer.
    public func validate(_ value: JSONValue) throws(FixtureError) -> [String] {
        var errors: [String] = []
        try check(value, against: root, at: "", into: &errors)
        return errors
    }

    func check(_ value: JSONValue, against schema: JSONValue, at path: String, into errors: inout [String]) throws(FixtureError) {
        guard case .object(let keywords) = schema else {
            if schema == .bool(true) { return }
            if schema == .bool(false) { errors.append("\(path): no value is allowed here"); return }
            throw FixtureError(message: "schema at \(path) is not an object")
        }
        for keyword in keywords {
            let k = keyword.key, s = keyword.value
            switch k {
            case _ where Self.annotations.contains(k), "then", "else":
                continue
            case "type":
                guard let name = s.stringValue else { throw FixtureError(message: "type must be a string") }
                if !Self.has(type: name, value) { errors.append("\(path): expected \(name), found \(value.typeName)") }
            case "enum":
                if !(s.arrayValue ?? []).contains(value) { errors.append("\(path): \(JSONWriter().string(value)) is not one of \(JSONWriter().string(s))") }
            case "const":
                if s != value { errors.append("\(path): expected \(JSONWriter().string(s))") }
            case "required":
                if case .object(let members) = value {
                    for name in s.arrayValue ?? [] where !members.contains(where: { $0.key == name.stringValue }) {
                        errors.append("\(path): missing \(name.stringValue ?? "?")")
                    }
                }
            case "properties":
                guard case .object(let props) = s else { throw FixtureError(message: "properties must be an object") }
                if case .object(let members) = value {
                    for m in members {
                        if let p = props.first(where: { $0.key == m.key }) { try check(m.value, against: p.value, at: path + "/" + m.key, into: &errors) }
                    }
                }
            case "additionalProperties":
                guard s == .bool(false) else { throw FixtureError(message: "only additionalProperties: false is supported") }
                var known: Set<String> = []
                if case .object(let p)? = schema["properties"] { known = Set(p.map(\.key)) }
                if case .object(let members) = value {
                    for m in members where !known.contains(m.key) { errors.append("\(path): unexpected member \(m.key)") }
                }
            case "items":
                if case .array(let items) = value {
                    for (i, item) in items.enumerated() { try check(item, against: s, at: "\(path)/\(i)", into: &errors) }
                }
            case "minItems", "maxItems", "uniqueItems":
                if case .array(let items) = value {
                    if k == "minItems", let n = s.numberValue, Double(items.count) < n { errors.append("\(path): fewer than \(Int(n)) items") }
                    if k == "maxItems", let n = s.numberValue, Double(items.count) > n { errors.append("\(path): more than \(Int(n)) items") }
                    if k == "uniqueItems", s == .bool(true) {
                        for i in items.indices where items[..<i].contains(items[i]) { errors.append("\(path): item \(i) repeats") }
                    }
                }
            case "minimum", "exclusiveMinimum":
                if case .number(let v) = value, let n = s.numberValue {
                    if k == "minimum" ? v < n : v <= n { errors.append("\(path): \(v) is below the \(k) \(n)") }
                }
            case "minLength":
                if case .string(let text) = value, let n = s.numberValue, Double(text.count) < n { errors.append("\(path): shorter than \(Int(n))") }
            case "pattern":
                guard let pattern = s.stringValue, let regex = try? Regex(pattern) else { throw FixtureError(message: "bad pattern at \(path)") }
                if case .string(let text) = value, (try? regex.firstMatch(in: text)) == nil {
                    errors.append("\(path): \"\(text)\" does not match \(pattern)")
                }
            case "$ref":
                guard let ref = s.stringValue, ref.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(ref.dropFirst(8))] else {
                    throw FixtureError(message: "unsupported $ref at \(path)")
                }
                try check(value, against: target, at: path, into: &errors)
            case "allOf":
                for sub in s.arrayValue ?? [] { try check(value, against: sub, at: path, into: &errors) }
            case "not":
                var inner: [String] = []
                try check(value, against: s, at: path, into: &inner)
                if inner.isEmpty { errors.append("\(path): must not match \(JSONWriter().string(s))") }
            case "if":
                var inner: [String] = []
                try check(value, against: s, at: path, into: &inner)
                if let branch = inner.isEmpty ? schema["then"] : schema["else"] {
                    try check(value, against: branch, at: path, into: &errors)
                }
            default:
                throw FixtureError(message: "schema keyword \(k) at \(path) is not supported by the test validator")
            }
        }
    }

    static func has(type name: String, _ value: JSONValue) -> Bool {
        switch (name, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): true
        case ("integer", .number(let v)): v == v.rounded() && v.isFinite
        default: false
        }
    }
}
