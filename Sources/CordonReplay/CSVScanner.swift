#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CByteScan
import CordonCore
import CordonFormats

/// Splits CSV trip logs into rows and reads the fields that matter, leaving every byte where
/// it was (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF).
///
/// A value; `Sendable` once made from the header, so the halves of a block can be scanned on
/// different threads.
struct CSVScanner: Sendable {
    let file: String
    /// Column index per role.
    let vehicle: Int, time: Int, lat: Int, lon: Int
    let accuracy: Int?, speed: Int?, heading: Int?
    let headerFields: Int
    /// The largest column index read.
    let last: Int
    /// Read the vehicle, time and position of each row and leave `accuracy`, `speed` and
    /// `heading` unread (nil), for a pass that knows from an earlier one which rows are usable:
    /// such rows' `problem` is then not meaningful.
    var positionsOnly = false

    /// Reads the header line at the start of `b` (after an optional UTF-8 byte-order mark).
    /// Returns nil when the header line is not complete yet.
    static func header(_ b: UnsafeBufferPointer<UInt8>, atEnd: Bool, file: String, names: ColumnNames) throws(ReplayError)
        -> (CSVScanner, consumed: Int)?
    {
        var i = 0
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        var line = 1
        let (header, end) = CSVFields.row(b, from: &i, to: b.count, line: &line)
        guard end.lineFeed || atEnd else { return nil }  // not complete yet
        let fields = header.map { CSVFields.text(b, $0).trimmingSpaces() }
        // Per role, the field with the most preferred name.
        var best: [ColumnNames.Role: (column: Int, rank: Int)] = [:]
        for (n, name) in fields.enumerated() {
            guard let (role, rank) = names.match(name) else { continue }
            if let seen = best[role], seen.rank == rank {
                // The same name twice (letter case aside): which one to read would be a guess.
                throw .input(
                    file: file,
                    message: "line 1: the header names \"\(name)\" for \(role.rawValue) twice (columns \(seen.column + 1) and \(n + 1))")
            }
            if rank < best[role]?.rank ?? .max { best[role] = (n, rank) }
        }
        let at = best.mapValues(\.column)
        let missing = ColumnNames.required.filter { at[$0] == nil }
        guard missing.isEmpty, let v = at[.vehicleID], let t = at[.timestamp], let la = at[.lat], let lo = at[.lon] else {
            let hint = CSVFields.separatorHint(fields)  // a file of another separator reads as one field
            throw .input(
                file: file,
                message: "line 1: the header lacks \(missing.map(\.rawValue).joined(separator: ", ")) "
                    + "(found: \(fields.joined(separator: ",")))\(hint); map other names with --columns ROLE=NAME")
        }
        let scanner = CSVScanner(
            file: file, vehicle: v, time: t, lat: la, lon: lo, accuracy: at[.accuracy], speed: at[.speed],
            heading: at[.heading], headerFields: fields.count, last: at.values.max() ?? 0)
        return (scanner, i)
    }

    /// The length of the longest prefix of `b` made of whole rows, and a row boundary near its
    /// middle (for splitting the work in two). Rows end where `CSVFields.row` ends them
    /// (`forEachRowEnd`), so a line break inside a quoted field does not end a row.
    static func completeRows(_ b: UnsafeBufferPointer<UInt8>) -> (length: Int, middle: Int) {
        guard let base = b.baseAddress, !b.isEmpty else { return (0, 0) }
        if memchr(base, Int32(UInt8(ascii: "\"")), b.count) == nil {
            return Bytes.completeLines(b)
        }
        var length = 0
        var middle = 0
        forEachRowEnd(b, from: 0, to: b.count) { end in
            length = end
            if middle == 0 && end > b.count / 2 { middle = end }
            return true
        }
        return (length, middle == 0 ? length : middle)
    }

    /// The end (just past its line feed) of the first row that ends at or after `at`, for rows
    /// of `b[from..<to]` starting at `from`; `to` when no row ends there. `quoted`: whether
    /// `b[from..<to]` holds a quote, when the caller knows (a caller cutting one range at many
    /// places looks once, not once per cut); nil: looked for here.
    static func rowEnd(_ b: UnsafeBufferPointer<UInt8>, after at: Int, from: Int, to: Int, quoted: Bool? = nil) -> Int {
        guard let base = b.baseAddress, at < to else { return to }
        if !(quoted ?? (memchr(base + from, Int32(UInt8(ascii: "\"")), to - from) != nil)) {
            return Bytes.find(b, 10, from: at, to: to).map { $0 + 1 } ?? to
        }
        var found = to
        forEachRowEnd(b, from: from, to: to) { end in
            if end > at {
                found = end
                return false
            }
            return true
        }
        return found
    }

    /// Calls `body` with the end (just past the line feed) of each row of `b[from..<to]`, rows
    /// starting at `from`, while it returns true: the states of `CSVFields.row`, byte by byte. A
    /// quote opens a quoted field only at a field's start; inside one, a doubled quote stands
    /// for a quote and a line feed is data; after its closing quote, bytes up to the next comma
    /// or line feed are skipped (quotes among them too). Elsewhere a quote is data.
    static func forEachRowEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int, _ body: (Int) -> Bool) {
        enum State { case fieldStart, unquoted, quoted, afterQuoted }
        var state = State.fieldStart
        var k = from
        while k < to {
            let c = b[k]
            switch state {
            case .fieldStart, .unquoted, .afterQuoted:
                if c == 10 {
                    state = .fieldStart
                    if !body(k + 1) { return }
                } else if c == 44 {
                    state = .fieldStart
                } else if state == .fieldStart {
                    state = c == 34 ? .quoted : .unquoted
                }
            case .quoted:
                if c == 34 {
                    if k + 1 < to && b[k + 1] == 34 { k += 1 } else { state = .afterQuoted }
                }
            }
            k += 1
        }
    }

    /// Scans the whole rows in `b[range]`, the first on line `firstLine`; appends them to `rows`.
    /// Returns the line after the last row. `memory` is the calling thread's, kept from one
    /// scan to the next. `quoteFree`: whether `b[range]` holds no quote, when the caller knows
    /// (nil: looked for here).
    func scan(
        _ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int, into rows: inout [TripRow], memory: inout ScanMemory,
        quoteFree: Bool? = nil
    ) -> Int {
        var i = range.lowerBound
        let n = range.upperBound
        var line = firstLine
        // Field bounds of the current row (a plain buffer: no uniqueness checks per store).
        let fields = UnsafeMutableBufferPointer<CSVFields.Field>.allocate(capacity: last + 1)
        fields.initialize(repeating: CSVFields.Field())
        defer { fields.deallocate() }
        if let base = b.baseAddress, i < n, quoteFree ?? (memchr(base + i, Int32(UInt8(ascii: "\"")), n - i) == nil) {
            // No quote anywhere in the range (trip logs seldom quote): the fields are the runs
            // between commas and line feeds, found 64 bytes at a time.
            var delimiters = Delimiters(base, from: i, to: n)
            while i < n {
                let rowStart = i
                let count = Self.row(base, from: &i, to: n, delimiters: &delimiters, into: fields)
                line += 1
                take(b, row: rowStart..<i, line: line - 1, fieldCount: count, fields, into: &rows, memory: &memory)
            }
            return line
        }
        while i < n {
            let rowStart = i
            let rowLine = line
            let end = CSVFields.row(b, from: &i, to: n, line: &line, into: fields)
            line += 1
            take(b, row: rowStart..<i, line: rowLine, fieldCount: end.count, fields, into: &rows, memory: &memory)
        }
        return line
    }

    /// `CSVFields.row` for bytes without a quote: splits the row at `i` (its first
    /// `fields.count` fields' bounds into `fields`, which keep `quoted` false), moves `i` past its
    /// line feed and returns its field count. `delimiters` covers `base[i..<n]` and has given
    /// every delimiter before `i` (as the rows before, split by this function, took them).
    @inline(__always)
    static func row(
        _ base: UnsafePointer<UInt8>, from i: inout Int, to n: Int, delimiters: inout Delimiters,
        into fields: UnsafeMutableBufferPointer<CSVFields.Field>
    ) -> Int {
        var count = 0
        while true {
            let d = delimiters.next()
            let last = d == n || base[d] == 10
            // A CR before the line feed is not part of the last field, as in `CSVFields.row`.
            let end = last && d > i && base[d &- 1] == 13 ? d &- 1 : d
            if count < fields.count { (fields[count].start, fields[count].end) = (i, end) }
            count &+= 1
            i = d < n ? d &+ 1 : n
            if last { return count }
        }
    }

    /// Appends the row split into `fields` (`fieldCount` of them in the line, from `line`) and
    /// reads it; a blank line is not a row.
    @inline(__always)
    private func take(
        _ b: UnsafeBufferPointer<UInt8>, row: Range<Int>, line: Int, fieldCount: Int, _ fields: UnsafeMutableBufferPointer<CSVFields.Field>,
        into rows: inout [TripRow], memory: inout ScanMemory
    ) {
        if fieldCount == 1 && !fields[0].quoted && fields[0].end == fields[0].start { return }  // `RowEnd.isBlank`
        // Made in place: a row made here and appended would be copied (a retain and a
        // release of its strings).
        rows.append(TripRow(start: row.lowerBound, end: row.upperBound, line: line))
        guard fieldCount > last else {
            rows[rows.count - 1].malformed = "row has \(fieldCount) fields, the header has \(headerFields)"
            return
        }
        read(b, fields, times: &memory.times, ids: &memory.ids, into: &rows[rows.count - 1])
    }

    private func read(
        _ b: UnsafeBufferPointer<UInt8>, _ fields: UnsafeMutableBufferPointer<CSVFields.Field>, times: inout TimeCache,
        ids: inout VehicleIDCache, into row: inout TripRow
    ) {
        func field(_ c: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[fields[c].start..<fields[c].end]) }
        /// A number's or a time's field, without the spaces around it (vehicle ids are taken
        /// as written).
        func value(_ c: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[CSVFields.trimmed(b, fields[c])]) }
        let id = fields[vehicle]
        if !id.quoted, let (known, hash, slot) = ids.id(b, id.start, id.end) {
            row.vehicle = known
            row.vehicleHash = hash
            row.idKey = ids.key(slot: slot)
        } else {
            guard row.takeVehicle(CSVFields.text(b, id), raw: field(vehicle)) else { return }
            if !id.quoted {
                row.vehicleHash = VehicleSlots.hash(row.vehicle)
                if let slot = ids.remember(row.vehicle, hash: row.vehicleHash, b, id.start, id.end) { row.idKey = ids.key(slot: slot) }
            }
        }
        let timeText = value(time)
        guard let t = times.time(timeText) else {
            row.malformed = "timestamp \"\(FieldParse.preview(field(time)))\" is not ISO 8601 with a zone, nor epoch seconds or milliseconds"
            return
        }
        guard row.takeTime(t, label: "timestamp", raw: timeText) else { return }
        let latRange = CSVFields.trimmed(b, fields[lat]), lonRange = CSVFields.trimmed(b, fields[lon])
        (row.latStart, row.latEnd) = (latRange.lowerBound, latRange.upperBound)
        (row.lonStart, row.lonEnd) = (lonRange.lowerBound, lonRange.upperBound)
        let latText = UnsafeBufferPointer(rebasing: b[latRange]), lonText = UnsafeBufferPointer(rebasing: b[lonRange])
        if latText.isEmpty && lonText.isEmpty {
            row.hasPosition = false  // a lost fix: the engine reports it
        } else {
            guard let y = parseDecimalOrSpecial(latText) else { row.malformed = "lat \"\(FieldParse.preview(latText))\" is not a number"; return }
            guard let x = parseDecimalOrSpecial(lonText) else { row.malformed = "lon \"\(FieldParse.preview(lonText))\" is not a number"; return }
            row.lat = y
            row.lon = x
            row.hasPosition = true
        }
        if positionsOnly { return }
        // The optional numbers (an absent column or an empty field is nil), kept only when all
        // three read.
        var a: Double?, s: Double?, h: Double?
        if let c = accuracy { guard FieldParse.optionalNumber(value(c), "accuracy", into: &a, row: &row) else { return } }
        if let c = speed { guard FieldParse.optionalNumber(value(c), "speed", into: &s, row: &row) else { return } }
        if let c = heading { guard FieldParse.optionalNumber(value(c), "heading", into: &h, row: &row) else { return } }
        (row.accuracy, row.speed, row.heading) = (a, s, h)
    }
}

/// What a scanning thread remembers from one scan to the next: the last ISO 8601 timestamp and
/// the vehicle ids read. Nothing in it depends on the buffer scanned, so a thread's scans of
/// chunk after chunk share one (a fresh one per 128 KiB chunk of the redaction pass had cost
/// every chunk its first sight of each of a fleet's ids and 190 KB of table to set up).
/// A value, owned by one thread at a time.
struct ScanMemory {
    var times = TimeCache()
    var ids: VehicleIDCache

    /// `index`: which of a pass's scanning threads' memories this is (0 to 14), so that its
    /// rows carry scan keys (`TripRow.idKey`) no other memory of the pass gives; nil for a
    /// scan whose keys nobody reads.
    init(index: Int? = nil) { ids = VehicleIDCache(index: index) }
}

/// A decimal number, or the spellings of non-finite values (`nan`, `inf`), which are numbers
/// the range check then refuses.
func parseDecimalOrSpecial(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
    if let v = parseDecimal(b) { return v }
    switch String(decoding: b, as: UTF8.self).lowercased() {
    case "nan", "+nan", "-nan": return .nan
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    default: return nil
    }
}

/// The vehicle ids one scan has read and accepted, by their bytes: a fleet log repeats a
/// thousand ids millions of times, and each read decoded a `String` and checked it against the
/// id rule (`FieldParse.vehicleProblem`), about 300 instructions a row. An open-addressing
/// table of 4,096 entries that takes up to 2,048 ids, of 1 to 16 bytes whose 16 bytes from
/// their start lie in the buffer (the key is those bytes masked to the id's length, and the
/// length); other ids, and ids past the first 2,048, are read each time. Only the unquoted
/// bytes of an id that passed the rule are remembered, so a hit gives what reading the field
/// again would. What it remembers does not depend on the buffer, so one cache serves every scan
/// of a thread (`ScanMemory`). A value, owned by one thread.
struct VehicleIDCache {
    private static let capacity = 4096
    private var low = [UInt64](repeating: 0, count: capacity)
    private var high = [UInt64](repeating: 0, count: capacity)
    /// The id's length per entry, 0 when empty.
    private var lengths = [Int](repeating: 0, count: capacity)
    private var ids = [String](repeating: "", count: capacity)
    /// `VehicleSlots.hash` of each id.
    private var hashes = [UInt64](repeating: 0, count: capacity)
    private var count = 0
    /// The scan keys' high bits (`ScanMemory(index:)`), or nil: no keys.
    private let keyBase: UInt16?

    init(index: Int? = nil) { keyBase = index.flatMap { $0 >= 0 && $0 < 15 ? UInt16($0 << 12) : nil } }

    /// The scan key of the id in `slot` (`TripRow.idKey`): the memory's index and the slot.
    @inline(__always)
    func key(slot: Int) -> UInt16 { keyBase.map { $0 | UInt16(truncatingIfNeeded: slot) } ?? TripRow.noKey }

    /// The key of `b[start..<end]` and its first bucket, or nil when it does not fit a key.
    @inline(__always)
    private static func key(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (UInt64, UInt64, Int, Int)? {
        let n = end - start
        guard n >= 1, n <= 16, start + 16 <= b.count, let base = b.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base + start)
        var lo = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        var hi = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if n < 8 {
            lo &= (1 << (8 * UInt64(n))) &- 1
            hi = 0
        } else if n < 16 {
            hi &= (1 << (8 * UInt64(n - 8))) &- 1
        }
        // Mixed (`mix64`): one multiplication left 1,000 fleet ids in a third of the buckets.
        let h = mix64(lo ^ (hi &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(n))
        return (lo, hi, n, Int(truncatingIfNeeded: h) & (capacity - 1))
    }

    /// The remembered id whose bytes are `b[start..<end]`, its `VehicleSlots.hash` and its slot
    /// (`key(slot:)`), or nil.
    @inline(__always)
    func id(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (String, UInt64, Int)? {
        guard let (lo, hi, n, first) = Self.key(b, start, end) else { return nil }
        var slot = first
        while lengths[slot] != 0 {
            if lengths[slot] == n && low[slot] == lo && high[slot] == hi { return (ids[slot], hashes[slot], slot) }
            slot = (slot + 1) & (Self.capacity - 1)
        }
        return nil
    }

    /// Remembers `id` (whose `VehicleSlots.hash` is `hash`), read and accepted from
    /// `b[start..<end]` (not found by `id` before); returns its slot, or nil when it is not
    /// remembered (the table is full, or the id does not fit a key). A slot keeps its id for
    /// the memory's life.
    @discardableResult
    mutating func remember(_ id: String, hash: UInt64, _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard count < Self.capacity / 2, let (lo, hi, n, first) = Self.key(b, start, end) else { return nil }
        var slot = first
        while lengths[slot] != 0 { slot = (slot + 1) & (Self.capacity - 1) }
        (low[slot], high[slot], lengths[slot], ids[slot], hashes[slot]) = (lo, hi, n, id, hash)
        count += 1
        return slot
    }
}

/// The commas and line feeds of a quote-free byte range, 64 bytes at a time, taken one by one
/// in order (`next()`) by a scan that splits rows at each of them.
/// A value over borrowed bytes, owned by one scan on one thread.
struct Delimiters {
    let base: UnsafePointer<UInt8>
    let end: Int
    /// The first of the 64 bytes `bits` describes: bit k is set when `base[window + k]` is a
    /// comma or a line feed not taken yet (bytes at or past `end` are none).
    var window: Int
    var bits: UInt64

    init(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) {
        self.base = base
        self.end = end
        window = start
        bits = Self.bits(base, at: start, end: end)
    }

    /// The next comma or line feed (the first at or after the range's start, then each after
    /// the last one given), or `end` when there is none left.
    @inline(__always)
    mutating func next() -> Int {
        while bits == 0 {
            window &+= 64
            guard window < end else { return end }
            bits = Self.bits(base, at: window, end: end)
        }
        let d = window &+ bits.trailingZeroBitCount
        bits &= bits &- 1
        return d
    }

    @inline(__always)
    static func bits(_ base: UnsafePointer<UInt8>, at start: Int, end: Int) -> UInt64 {
        if end - start >= 64 { return cordon_delimiters64(base + start) }
        var bits: UInt64 = 0
        var k = 0
        while start + k < end {
            let c = base[start + k]
            if c == 44 || c == 10 { bits |= 1 &<< UInt64(k) }
            k += 1
        }
        return bits
    }
}
