import CordonFormats

/// Reads NDJSON trip logs: one JSON object per line with the same fields as the CSV header
/// (`vehicle_id`, `timestamp` or `time`, `lat`, `lon`, optional `accuracy`, `speed`,
/// `heading`); other members are carried through untouched. Values may be numbers or strings
/// holding numbers; `null` means absent. Blank lines are not rows.
///
/// A value; `Sendable`, so the halves of a block can be scanned on different threads.
struct NDJSONScanner: Sendable {
    let file: String
    let names: ColumnNames

    /// Scans the whole lines in `b[range]`; appends their rows. Returns the next line number.
    /// `memory` is the calling thread's, kept from one scan to the next.
    func scan(
        _ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int, into rows: inout [TripRow], memory: inout ScanMemory
    ) -> Int {
        var i = range.lowerBound
        var line = firstLine
        // The known members of the current line, per role: reused, nothing allocated per row.
        let found = UnsafeMutableBufferPointer<FlatObject.Value?>.allocate(capacity: ColumnNames.Role.allCases.count)
        defer { found.deallocate() }
        while i < range.upperBound {
            let end = Bytes.find(b, 10, from: i, to: range.upperBound).map { $0 + 1 } ?? range.upperBound
            defer {
                i = end
                line += 1
            }
            var k = i
            while k < end, Bytes.isSpace(b[k]) { k += 1 }
            if k == end { continue }  // blank
            // Made in place (as `CSVScanner.scan` does): appending a finished row copies it.
            rows.append(TripRow(start: i, end: end, line: line))
            found.initialize(repeating: nil)
            var parser = FlatObject(b: b, i: k, end: end, found: found)
            if let problem = parser.parse(names: names) {
                rows[rows.count - 1].malformed = problem
            } else {
                parser.fill(&rows[rows.count - 1], b: b, times: &memory.times)
            }
        }
        return line
    }
}

/// A one-level JSON object scanner recording where the values of the known members are.
private struct FlatObject {
    let b: UnsafeBufferPointer<UInt8>
    var i: Int
    let end: Int
    /// A value's byte range (strings without their quotes) and what it is.
    typealias Value = (Int, Int, quoted: Bool, escaped: Bool, null: Bool, rank: Int)
    /// The known members' values by `Role.index` (the caller's storage, cleared per row).
    let found: UnsafeMutableBufferPointer<Value?>

    init(b: UnsafeBufferPointer<UInt8>, i: Int, end: Int, found: UnsafeMutableBufferPointer<Value?>) {
        self.b = b
        self.i = i
        self.end = end
        self.found = found
    }

    subscript(_ role: ColumnNames.Role) -> Value? { found[role.index] }

    mutating func skipSpace() {
        while i < end, Bytes.isSpace(b[i]) { i += 1 }
    }

    func at(_ what: String) -> String { "column \(i - lineStart + 1): \(what)" }
    var lineStart: Int {
        var s = i
        while s > 0, b[s - 1] != 10 { s -= 1 }
        return s
    }

    /// Scans a string at `i` (on the opening quote); returns its content range and whether it has escapes.
    mutating func string() -> (Int, Int, Bool)? {
        guard i < end, b[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let s = i
        var escaped = false
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return (s, i - 1, escaped)
            }
            if c == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
            if c < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Skips any value; returns its range (strings without quotes), and whether it was quoted, escaped, null.
    mutating func value() -> Value? {
        skipSpace()
        guard i < end else { return nil }
        switch b[i] {
        case UInt8(ascii: "\""):
            guard let (s, e, esc) = string() else { return nil }
            return (s, e, true, esc, false, 0)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let s = i
            var depth = 0
            while i < end {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    guard string() != nil else { return nil }
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { i += 1; return (s, i, false, false, false, 0) }
                }
                i += 1
            }
            return nil
        default:
            let s = i
            while i < end {
                let c = b[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 32 || c == 9 || c == 13 || c == 10 { break }
                i += 1
            }
            guard i > s else { return nil }
            let isNull = i - s == 4 && b[s] == UInt8(ascii: "n") && b[s + 1] == UInt8(ascii: "u") && b[s + 2] == UInt8(ascii: "l") && b[s + 3] == UInt8(ascii: "l")
            return (s, i, false, false, isNull, 0)
        }
    }

    /// Parses the object; nil when well formed, else the problem.
    mutating func parse(names: ColumnNames) -> String? {
        guard i < end, b[i] == UInt8(ascii: "{") else { return "not a JSON object (\(at("expected {")))" }
        i += 1
        skipSpace()
        if i < end, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                guard let (ks, ke, kesc) = string() else { return "malformed JSON (\(at("expected a member name")))" }
                skipSpace()
                guard i < end, b[i] == UInt8(ascii: ":") else { return "malformed JSON (\(at("expected :")))" }
                i += 1
                guard let v = value() else { return "malformed JSON (\(at("expected a value")))" }
                let key = kesc ? decodeJSONString(ks, ke) : String(decoding: UnsafeBufferPointer(rebasing: b[ks..<ke]), as: UTF8.self)
                if let (role, rank) = names.match(key) {
                    // The same name twice (letter case aside): which value to read would be a
                    // guess, as for a CSV header. A less preferred name of the role gives way.
                    if found[role.index]?.rank == rank { return "member \"\(key)\" is given twice" }
                    if rank < found[role.index]?.rank ?? .max {
                        var v = v
                        v.rank = rank
                        found[role.index] = v
                    }
                }
                skipSpace()
                guard i < end else { return "malformed JSON (\(at("unterminated object")))" }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; break }
                return "malformed JSON (\(at("expected , or }")))"
            }
        }
        skipSpace()
        guard i == end else { return "malformed JSON (\(at("text after the object")))" }
        let missing = ColumnNames.required.filter { self[$0] == nil }
        guard missing.isEmpty else { return "missing \(missing.map(\.rawValue).joined(separator: ", "))" }
        return nil
    }

    func decodeJSONString(_ s: Int, _ e: Int) -> String {
        var text = [UInt8]()
        text.append(UInt8(ascii: "\""))
        text.append(contentsOf: UnsafeBufferPointer(rebasing: b[s..<e]))
        text.append(UInt8(ascii: "\""))
        if let value = try? JSONParser().parse(text, file: ""), case .string(let v) = value { return v }
        return String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
    }

    /// Fills the row from the members found (after `parse` succeeded).
    func fill(_ row: inout TripRow, b: UnsafeBufferPointer<UInt8>, times: inout TimeCache) {
        func bytes(_ v: Value) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: b[v.0..<v.1])
        }
        guard let v = self[.vehicleID], let t = self[.timestamp], let la = self[.lat], let lo = self[.lon] else { return }
        if v.null { row.malformed = "vehicle_id is null"; return }
        guard row.takeVehicle(v.escaped ? decodeJSONString(v.0, v.1) : FieldParse.text(bytes(v)), raw: bytes(v)) else { return }
        guard !t.null, let time = times.time(bytes(t)) else {
            row.malformed = "timestamp \"\(FieldParse.preview(bytes(t)))\" is not ISO 8601 with a zone, nor epoch seconds or milliseconds"
            return
        }
        guard row.takeTime(time, label: "timestamp", raw: bytes(t)) else { return }
        row.latStart = la.0
        row.latEnd = la.1
        row.lonStart = lo.0
        row.lonEnd = lo.1
        if la.null && lo.null {
            row.hasPosition = false
        } else {
            guard !la.null, let y = parseDecimalOrSpecial(bytes(la)) else { row.malformed = "lat \"\(FieldParse.preview(bytes(la)))\" is not a number"; return }
            guard !lo.null, let x = parseDecimalOrSpecial(bytes(lo)) else { row.malformed = "lon \"\(FieldParse.preview(bytes(lo)))\" is not a number"; return }
            row.lat = y
            row.lon = x
            row.hasPosition = true
        }
        // Kept only when all three read, as the CSV reader does.
        var a: Double?, s: Double?, h: Double?
        if let f = self[.accuracy], !f.null { guard FieldParse.optionalNumber(bytes(f), "accuracy", into: &a, row: &row) else { return } }
        if let f = self[.speed], !f.null { guard FieldParse.optionalNumber(bytes(f), "speed", into: &s, row: &row) else { return } }
        if let f = self[.heading], !f.null { guard FieldParse.optionalNumber(bytes(f), "heading", into: &h, row: &row) else { return } }
        (row.accuracy, row.speed, row.heading) = (a, s, h)
    }
}
