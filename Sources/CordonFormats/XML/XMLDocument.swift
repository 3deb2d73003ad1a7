import CordonCore

/// A parsed XML element: local name (namespace prefix removed), attributes, children and
/// the concatenated text directly inside it.
///
/// A value type; `Sendable`. Produced by `XMLReader` only.
public struct XMLElement: Sendable, Hashable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElement]
    public var text: String
    /// 1-based line of the start tag.
    public var line: Int

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// A non-validating XML 1.0 reader for KML, hardened for untrusted files.
///
/// A value type holding limits; `Sendable`. It reads UTF-8 (the default), UTF-16 with a byte
/// order mark or an XML declaration in UTF-16, and documents that declare ISO-8859-1 or
/// windows-1252; any other declared encoding is refused by name. It refuses DOCTYPE internal subsets (so no entity
/// can expand: no "billion laughs"), refuses undefined entities, limits nesting depth, and
/// reports errors with 1-based line and column.
public struct XMLReader: Sendable {
    public var maximumDepth: Int

    public init(maximumDepth: Int = 128) { self.maximumDepth = maximumDepth }

    public func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> XMLElement {
        let bytes = try XMLEncoding.utf8(bytes, file: file)
        let result: Result<XMLElement, FormatError> = bytes.withUnsafeBufferPointer { buffer in
            var state = XMLState(b: buffer, maximumDepth: maximumDepth)
            do throws(JSONSyntaxError) {
                return .success(try state.document())
            } catch {
                let (line, column) = lineAndColumn(of: error.offset, in: buffer)
                return .failure(.syntax(file: file, line: line, column: column, message: error.message))
            }
        }
        return try result.get()
    }
}

private struct XMLState {
    let b: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    var i = 0
    var line = 1

    init(b: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.b = b
        self.maximumDepth = maximumDepth
    }

    func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? i, message: message)
    }

    func starts(with text: String) -> Bool {
        var k = i
        for u in text.utf8 {
            guard k < b.count, b[k] == u else { return false }
            k += 1
        }
        return true
    }

    mutating func advance() {
        if b[i] == 10 { line += 1 }
        i += 1
    }

    mutating func skip(past terminator: String, what: String) throws(JSONSyntaxError) {
        let start = i
        while i < b.count {
            if starts(with: terminator) {
                for _ in terminator.utf8 { advance() }
                return
            }
            advance()
        }
        throw fail("unexpected end of input in \(what): the file is truncated", at: start)
    }

    mutating func skipWhitespace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { advance() }
    }

    mutating func document() throws(JSONSyntaxError) -> XMLElement {
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
        var root: XMLElement?
        while true {
            skipWhitespace()
            guard i < b.count else { break }
            if starts(with: "<?") {
                try skip(past: "?>", what: "a processing instruction")
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "a comment")
            } else if starts(with: "<!DOCTYPE") {
                try doctype()
            } else if b[i] == UInt8(ascii: "<") {
                guard root == nil else { throw fail("more than one root element") }
                root = try element(depth: 1)
            } else {
                throw fail("text outside the root element")
            }
        }
        guard let root else { throw fail("no root element: the file is empty or truncated") }
        return root
    }

    mutating func doctype() throws(JSONSyntaxError) {
        let start = i
        while i < b.count && b[i] != UInt8(ascii: ">") {
            if b[i] == UInt8(ascii: "[") {
                throw fail("DOCTYPE with an internal subset is refused (entity declarations are not allowed)", at: start)
            }
            advance()
        }
        guard i < b.count else { throw fail("unexpected end of input in DOCTYPE", at: start) }
        advance()
    }

    mutating func name() throws(JSONSyntaxError) -> String {
        let start = i
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == UInt8(ascii: ">") || c == UInt8(ascii: "/")
                || c == UInt8(ascii: "=")
            {
                break
            }
            i += 1
        }
        guard i > start, let s = String(validUTF8: UnsafeBufferPointer(rebasing: b[start..<i])) else {
            throw fail("expected a name", at: start)
        }
        return s
    }

    static func localName(_ qualified: String) -> String {
        guard let colon = qualified.lastIndex(of: ":") else { return qualified }
        return String(qualified[qualified.index(after: colon)...])
    }

    mutating func element(depth: Int) throws(JSONSyntaxError) -> XMLElement {
        guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
        let startLine = line
        i += 1  // <
        let qualified = try name()
        var element = XMLElement(name: Self.localName(qualified), attributes: [:], children: [], text: "", line: startLine)
        // Attributes.
        while true {
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in a start tag: the file is truncated") }
            if b[i] == UInt8(ascii: "/") {
                i += 1
                guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("expected '>' after '/'") }
                i += 1
                return element
            }
            if b[i] == UInt8(ascii: ">") { i += 1; break }
            let attr = try name()
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("expected '=' after attribute \(attr)") }
            i += 1
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else {
                throw fail("attribute value must be quoted")
            }
            let quote = b[i]
            i += 1
            let value = try text(until: quote)
            i += 1
            if element.attributes[Self.localName(attr)] != nil { throw fail("duplicate attribute \(attr)") }
            element.attributes[Self.localName(attr)] = value
        }
        // Content.
        var text = ""
        while true {
            guard i < b.count else { throw fail("unexpected end of input inside <\(qualified)>: the file is truncated") }
            if b[i] != UInt8(ascii: "<") {
                text += try self.text(until: UInt8(ascii: "<"))
                continue
            }
            if starts(with: "</") {
                i += 2
                let closing = try name()
                guard closing == qualified else { throw fail("closing tag </\(closing)> does not match <\(qualified)> of line \(startLine)") }
                skipWhitespace()
                guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("expected '>' in a closing tag") }
                i += 1
                break
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "a comment")
            } else if starts(with: "<![CDATA[") {
                for _ in 0..<9 { advance() }
                let start = i
                try skip(past: "]]>", what: "CDATA")
                text += String(decoding: UnsafeBufferPointer(rebasing: b[start..<(i - 3)]), as: UTF8.self)
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "a processing instruction")
            } else if starts(with: "<!") {
                throw fail("markup declaration inside an element")
            } else {
                element.children.append(try self.element(depth: depth + 1))
            }
        }
        element.text = text
        return element
    }

    /// Character data up to (not including) `terminator`, with entities decoded.
    mutating func text(until terminator: UInt8) throws(JSONSyntaxError) -> String {
        var out: [UInt8] = []
        let start = i
        while i < b.count && b[i] != terminator {
            let c = b[i]
            if c == UInt8(ascii: "&") {
                let amp = i
                i += 1
                let nameStart = i
                while i < b.count && b[i] != UInt8(ascii: ";") && i - nameStart < 12 { i += 1 }
                guard i < b.count, b[i] == UInt8(ascii: ";") else { throw fail("unterminated entity reference", at: amp) }
                let entity = String(decoding: UnsafeBufferPointer(rebasing: b[nameStart..<i]), as: UTF8.self)
                i += 1
                switch entity {
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "amp": out.append(UInt8(ascii: "&"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    var value: UInt32?
                    if entity.hasPrefix("#x") { value = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") {
                        value = UInt32(entity.dropFirst())
                    }
                    guard let v = value, let scalar = Unicode.Scalar(v) else {
                        throw fail("undefined entity &\(entity); (only the five XML entities and character references are allowed)", at: amp)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
                continue
            }
            if c == 10 { line += 1 }
            out.append(c)
            i += 1
        }
        guard i < b.count else { throw fail("unexpected end of input: the file is truncated", at: start) }
        guard let s = out.withUnsafeBufferPointer({ String(validUTF8: $0) }) else { throw fail("text is not valid UTF-8", at: start) }
        return s
    }
}
