#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CordonCore
import CordonFormats

/// Reads GPX 1.1 trip logs as a stream: each `<trk>` is a vehicle named `FILE/TRACK` (the
/// file name without extensions and the track's `<name>`, or its 1-based number), each
/// `<trkpt lat= lon=>` with a `<time>` is a row. `<speed>` (m/s) and `<course>` (degrees) are
/// read wherever they sit inside the point (GPX 1.0 or an extension such as Garmin's
/// TrackPointExtension). A row's bytes are the point element and the whitespace before it,
/// so dropping it leaves the document well formed.
///
/// Stateful (the enclosing track); not shared between threads.
struct GPXScanner {
    let file: String
    let stem: String
    private var stack: [String] = []
    private var trackNumber = 0 { didSet { vehicle = Self.vehicleID(stem, trackName, trackNumber) } }
    private var trackName: String? { didSet { vehicle = Self.vehicleID(stem, trackName, trackNumber) } }
    private var nameText: [UInt8]?
    /// The current track's vehicle, made when its number or name changes, not per point.
    private var vehicle: String

    init(file: String) {
        self.file = file
        var name = file.split(separator: "/").last.map(String.init) ?? file
        if name.lowercased().hasSuffix(".gz") { name.removeLast(3) }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        stem = name
        vehicle = Self.vehicleID(name, nil, 0)
    }

    /// `FILE/TRACK`, held to the vehicle-id rule (`VehicleID`): a name too long for it keeps
    /// what fits and ends in `…#N`, N the track's number in the file (so tracks stay apart).
    private static func vehicleID(_ stem: String, _ trackName: String?, _ trackNumber: Int) -> String {
        let id = stem + "/" + (trackName ?? String(trackNumber))
        guard id.utf8.count > VehicleID.maximumBytes else { return id }
        let suffix = "…#\(trackNumber)"
        var prefix = ""
        for ch in id {
            if prefix.utf8.count + ch.utf8.count + suffix.utf8.count > VehicleID.maximumBytes { break }
            prefix.append(ch)
        }
        return prefix + suffix
    }

    /// Scans complete elements of `b` from `from`; appends rows. Returns how many bytes were
    /// consumed (a point cut by the end of the buffer is left for the next call) and the line
    /// of the first unconsumed byte.
    mutating func scan(_ b: UnsafeBufferPointer<UInt8>, from: Int, atEnd: Bool, firstLine: Int, into rows: inout [TripRow]) throws(ReplayError)
        -> (consumed: Int, line: Int)
    {
        var i = from
        var line = firstLine
        let n = b.count
        while i < n {
            guard let lt = Bytes.find(b, UInt8(ascii: "<"), from: i, to: n) else {
                guard atEnd else { return (i, line) }
                if nameText != nil { nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<n])) }
                return (n, line + Bytes.newlines(b, i, n))
            }
            guard let tag = Tag.read(b, at: lt, end: n) else {
                if atEnd { throw .input(file: file, message: "line \(line + Bytes.newlines(b, i, lt)): unterminated markup") }
                return (i, line)
            }
            let lineAtTag = line + Bytes.newlines(b, i, lt)
            switch tag.kind {
            case .open, .empty:
                let local = tag.localName
                if local == "trkpt" && stack.last == "trkseg" {
                    // Whitespace before the point belongs to its row.
                    var s = lt
                    while s > i, b[s - 1] == 32 || b[s - 1] == 9 || b[s - 1] == 10 || b[s - 1] == 13 { s -= 1 }
                    guard let (row, after, afterLine) = point(b, tag: tag, start: s, line: lineAtTag) else {
                        if atEnd { throw .input(file: file, message: "line \(lineAtTag): unterminated <trkpt>") }
                        return (i, line)
                    }
                    if nameText != nil { nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<s])) }
                    rows.append(row)
                    i = after
                    line = afterLine
                    continue
                }
                if nameText != nil { nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<lt])) }
                if tag.kind == .open {
                    if local == "trk" {
                        trackNumber += 1
                        trackName = nil
                    }
                    if local == "name" && stack.last == "trk" { nameText = [] }
                    stack.append(local)
                }
            case .close:
                if nameText != nil { nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<lt])) }
                let local = tag.localName
                if local == "name", let text = nameText, stack.count >= 2, stack[stack.count - 2] == "trk" {
                    // Line breaks, tabs and other control characters become spaces (an id has none).
                    var scalars = String.UnicodeScalarView()
                    for c in decodeEntities(text).unicodeScalars { scalars.append(c.properties.generalCategory == .control ? " " : c) }
                    let decoded = String(scalars).trimmingSpaces()
                    if !decoded.isEmpty { trackName = decoded }
                    nameText = nil
                }
                if let k = stack.lastIndex(of: local) { stack.removeSubrange(k...) }
            case .other:
                if nameText != nil {
                    nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<lt]))
                    if let cdata = tag.cdata { nameText?.append(contentsOf: UnsafeBufferPointer(rebasing: b[cdata])) }
                }
            }
            line = lineAtTag + Bytes.newlines(b, lt, tag.end)
            i = tag.end
        }
        return (i, line)
    }

    /// Reads one track point from its start tag to its end; nil when the buffer ends first.
    private func point(_ b: UnsafeBufferPointer<UInt8>, tag: Tag, start: Int, line: Int) -> (TripRow, Int, Int)? {
        var row = TripRow()
        row.start = start
        row.line = line
        row.vehicle = vehicle
        let lat = tag.attribute("lat", in: b), lon = tag.attribute("lon", in: b)
        var time: Range<Int>?
        var speed: Range<Int>?
        var course: Range<Int>?
        var end = tag.end
        var l = line + Bytes.newlines(b, tag.start, tag.end)
        // Which one to read would be a guess: an attribute given twice (not well-formed XML) or
        // an element given twice in one point.
        var twice = tag.repeatedAttribute(in: b).map { "<trkpt> gives attribute \($0) twice" }
        if tag.kind == .open {
            var capture: (String, Int)?
            var i = tag.end
            var closed = false
            while i < b.count {
                guard let lt = Bytes.find(b, UInt8(ascii: "<"), from: i, to: b.count) else { return nil }
                guard let inner = Tag.read(b, at: lt, end: b.count) else { return nil }
                l += Bytes.newlines(b, i, inner.end)
                switch inner.kind {
                case .open:
                    let local = inner.localName
                    if local == "time" || local == "speed" || local == "course" { capture = (local, inner.end) }
                case .close:
                    let local = inner.localName
                    if let (name, s) = capture, name == local {
                        let seen: Bool
                        switch name {
                        case "time": (seen, time) = (time != nil, s..<lt)
                        case "speed": (seen, speed) = (speed != nil, s..<lt)
                        default: (seen, course) = (course != nil, s..<lt)
                        }
                        if seen && twice == nil { twice = "<trkpt> has more than one <\(name)>" }
                        capture = nil
                    }
                    if local == "trkpt" {
                        closed = true
                    }
                case .empty, .other:
                    break
                }
                i = inner.end
                if closed { break }
            }
            guard closed else { return nil }
            end = i
        }
        row.end = end
        func number(_ r: Range<Int>?) -> Double?? {
            guard let r else { return .some(nil) }
            let t = trimmed(b, r)
            return FieldParse.optionalNumber(UnsafeBufferPointer(rebasing: b[t]))
        }
        if let twice {
            row.malformed = twice
            return (row, end, l)
        }
        guard let la = lat, let lo = lon else {
            row.malformed = "<trkpt> lacks a lat or lon attribute"
            return (row, end, l)
        }
        row.latStart = la.lowerBound
        row.latEnd = la.upperBound
        row.lonStart = lo.lowerBound
        row.lonEnd = lo.upperBound
        guard let tr = time else {
            row.malformed = "<trkpt> has no <time>"
            return (row, end, l)
        }
        let tb = UnsafeBufferPointer(rebasing: b[trimmed(b, tr)])
        guard let t = Timestamp.parse(tb) else {
            row.malformed = "time \"\(FieldParse.preview(tb))\" is not ISO 8601 with a zone"
            return (row, end, l)
        }
        guard row.takeTime(t, label: "time", raw: tb) else { return (row, end, l) }
        guard let y = parseDecimalOrSpecial(UnsafeBufferPointer(rebasing: b[trimmed(b, la)])) else {
            row.malformed = "lat is not a number"
            return (row, end, l)
        }
        guard let x = parseDecimalOrSpecial(UnsafeBufferPointer(rebasing: b[trimmed(b, lo)])) else {
            row.malformed = "lon is not a number"
            return (row, end, l)
        }
        row.lat = y
        row.lon = x
        row.hasPosition = true
        guard let s = number(speed) else { row.malformed = "speed is not a number"; return (row, end, l) }
        guard let h = number(course) else { row.malformed = "course is not a number"; return (row, end, l) }
        row.speed = s
        row.heading = h
        return (row, end, l)
    }
}

/// One piece of markup: a start, end or empty-element tag, or something else (comment,
/// CDATA, declaration, processing instruction).
private struct Tag {
    enum Kind { case open, close, empty, other }
    let kind: Kind
    let start: Int
    /// Just after the closing `>`.
    let end: Int
    let name: String
    let attributes: Range<Int>
    var cdata: Range<Int>?

    var localName: String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    static func read(_ b: UnsafeBufferPointer<UInt8>, at s: Int, end n: Int) -> Tag? {
        // Static patterns: nothing is allocated per tag.
        func starts(_ text: StaticString) -> Bool {
            text.withUTF8Buffer { u in
                guard s + u.count <= n else { return false }
                for k in 0..<u.count where b[s + k] != u[k] { return false }
                return true
            }
        }
        func through(_ text: StaticString, from: Int) -> Int? {
            text.withUTF8Buffer { u in
                var k = from
                while k + u.count <= n {
                    guard let p = Bytes.find(b, u[0], from: k, to: n - u.count + 1) else { return nil }
                    var match = true
                    for j in 1..<u.count where b[p + j] != u[j] { match = false; break }
                    if match { return p + u.count }
                    k = p + 1
                }
                return nil
            }
        }
        if starts("<!--") {
            guard let e = through("-->", from: s + 4) else { return nil }
            return Tag(kind: .other, start: s, end: e, name: "", attributes: s..<s)
        }
        if starts("<![CDATA[") {
            guard let e = through("]]>", from: s + 9) else { return nil }
            return Tag(kind: .other, start: s, end: e, name: "", attributes: s..<s, cdata: (s + 9)..<(e - 3))
        }
        if starts("<?") {
            guard let e = through("?>", from: s + 2) else { return nil }
            return Tag(kind: .other, start: s, end: e, name: "", attributes: s..<s)
        }
        // A tag: find its `>` outside quoted attribute values.
        var k = s + 1
        var quote: UInt8 = 0
        while k < n {
            let c = b[k]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                break
            }
            k += 1
        }
        guard k < n else { return nil }
        let e = k + 1
        if starts("<!") { return Tag(kind: .other, start: s, end: e, name: "", attributes: s..<s) }
        let closing = s + 1 < n && b[s + 1] == UInt8(ascii: "/")
        var ns = s + (closing ? 2 : 1)
        while ns < k, b[ns] == 32 { ns += 1 }
        var ne = ns
        while ne < k, b[ne] != 32, b[ne] != 9, b[ne] != 10, b[ne] != 13, b[ne] != UInt8(ascii: "/"), b[ne] != UInt8(ascii: ">") { ne += 1 }
        let name = String(decoding: UnsafeBufferPointer(rebasing: b[ns..<ne]), as: UTF8.self)
        let empty = !closing && k > s && b[k - 1] == UInt8(ascii: "/")
        return Tag(kind: closing ? .close : (empty ? .empty : .open), start: s, end: e, name: name, attributes: ne..<k)
    }

    /// The name of an attribute the tag gives more than once, if any.
    func repeatedAttribute(in b: UnsafeBufferPointer<UInt8>) -> String? {
        var repeated: Range<Int>?
        var index = 0
        forEachAttribute(in: b) { name, _ in
            // Against the attributes before it (a tag has a few).
            var earlier = 0
            forEachAttribute(in: b) { other, _ in
                guard earlier < index else { return false }
                earlier += 1
                if other.count == name.count && b[other].elementsEqual(b[name]) { repeated = name }
                return repeated == nil
            }
            index += 1
            return repeated == nil
        }
        return repeated.map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }
    }

    /// The value range (inside the quotes) of attribute `name`.
    func attribute(_ name: StaticString, in b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        name.withUTF8Buffer { u in
            var found: Range<Int>?
            forEachAttribute(in: b) { n, value in
                if n.count == u.count && b[n].elementsEqual(u) { found = value }
                return found == nil
            }
            return found
        }
    }

    /// Calls `body(name, value)` (the value inside its quotes) for the tag's attributes in
    /// order, until it returns false or the attributes stop being well formed.
    private func forEachAttribute(in b: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Range<Int>) -> Bool) {
        var k = attributes.lowerBound
        let n = attributes.upperBound
        while k < n {
            while k < n, b[k] == 32 || b[k] == 9 || b[k] == 10 || b[k] == 13 || b[k] == UInt8(ascii: "/") { k += 1 }
            guard k < n else { return }
            let ns = k
            while k < n, b[k] != UInt8(ascii: "="), b[k] != 32, b[k] != 9, b[k] != 10, b[k] != 13 { k += 1 }
            let ne = k
            while k < n, b[k] == 32 || b[k] == 9 || b[k] == 10 || b[k] == 13 { k += 1 }
            guard k < n, b[k] == UInt8(ascii: "=") else { return }
            k += 1
            while k < n, b[k] == 32 || b[k] == 9 || b[k] == 10 || b[k] == 13 { k += 1 }
            guard k < n, b[k] == UInt8(ascii: "\"") || b[k] == UInt8(ascii: "'") else { return }
            let q = b[k]
            k += 1
            let vs = k
            while k < n, b[k] != q { k += 1 }
            guard k < n else { return }
            let ve = k
            k += 1
            guard ne > ns, body(ns..<ne, vs..<ve) else { return }
        }
    }
}

private func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
    var s = r.lowerBound, e = r.upperBound
    while s < e, b[s] == 32 || b[s] == 9 || b[s] == 10 || b[s] == 13 { s += 1 }
    while e > s, b[e - 1] == 32 || b[e - 1] == 9 || b[e - 1] == 10 || b[e - 1] == 13 { e -= 1 }
    return s..<e
}

private func decodeEntities(_ bytes: [UInt8]) -> String {
    var text = String(decoding: bytes, as: UTF8.self)
    guard text.contains("&") else { return text }
    for (entity, value) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&")] {
        text = text.replacingAll(entity, with: value)
    }
    return text
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
