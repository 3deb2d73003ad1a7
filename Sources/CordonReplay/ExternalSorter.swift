#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One usable row on its way through the sort: what the engine needs, and where it came from.
struct SortRecord {
    var row: TripRow
    var file: Int
    var rowNumber: Int

    init(_ row: TripRow, file: Int, row number: Int) {
        self.row = row
        self.file = file
        self.rowNumber = number
    }

    /// Vehicle, then time, then input position (so equal times keep their input order).
    static func precedes(_ a: SortRecord, _ b: SortRecord) -> Bool {
        if a.row.vehicle != b.row.vehicle { return a.row.vehicle < b.row.vehicle }
        if a.row.time != b.row.time { return a.row.time < b.row.time }
        if a.file != b.file { return a.file < b.file }
        return a.rowNumber < b.rowNumber
    }

    static let approximateBytes = MemoryLayout<SortRecord>.stride + 16

    func encode(into out: inout [UInt8]) {
        func put<T: FixedWidthInteger>(_ v: T) { RunBytes.put(v, &out) }
        func put(_ d: Double?) { put(d.map { $0.bitPattern } ?? Double.nan.bitPattern ^ 1) }
        let v = Array(row.vehicle.utf8)
        put(UInt32(v.count))
        out.append(contentsOf: v)
        put(row.time)
        put(Int64(file))
        put(Int64(rowNumber))
        put(Int64(row.line))
        put(UInt8(row.hasPosition ? 1 : 0))
        put(row.lat.bitPattern)
        put(row.lon.bitPattern)
        put(row.accuracy)
        put(row.speed)
        put(row.heading)
    }

    /// Decodes one record at `i` of `b`; nil when `b` does not hold a whole one.
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: inout Int) -> SortRecord? {
        var k = i
        func get<T: FixedWidthInteger>(_ type: T.Type) -> T? { RunBytes.get(type, b, at: &k) }
        func optional() -> Double?? {
            guard let bits = get(UInt64.self) else { return nil }
            return .some(bits == Double.nan.bitPattern ^ 1 ? nil : Double(bitPattern: bits))
        }
        guard let n = get(UInt32.self), k + Int(n) <= b.count else { return nil }
        var row = TripRow()
        row.vehicle = String(decoding: UnsafeBufferPointer(rebasing: b[k..<(k + Int(n))]), as: UTF8.self)
        k += Int(n)
        guard let time = get(Int64.self), let file = get(Int64.self), let number = get(Int64.self), let line = get(Int64.self),
            let has = get(UInt8.self), let lat = get(UInt64.self), let lon = get(UInt64.self),
            let accuracy = optional(), let speed = optional(), let heading = optional()
        else { return nil }
        row.time = time
        row.line = Int(line)
        row.hasPosition = has != 0
        row.lat = Double(bitPattern: lat)
        row.lon = Double(bitPattern: lon)
        row.accuracy = accuracy
        row.speed = speed
        row.heading = heading
        i = k
        return SortRecord(row, file: Int(file), row: Int(number))
    }
}

/// Sorts records by vehicle and time in bounded memory: sorted runs of at most `memoryBytes`
/// go to temporary files in `directory`, then a k-way merge streams them back.
///
/// Owned by one pass; not thread-safe. Temporary files are removed by `finish` or on release.
struct ExternalSorter {
    let directory: String
    let capacity: Int
    private var buffer: [SortRecord] = []
    private var runs: [String] = []

    init(directory: String, memoryBytes: Int) throws(ReplayError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .output(file: directory, message: String(cString: strerror(errno)))
        }
        self.directory = directory
        self.capacity = max(1024, memoryBytes / SortRecord.approximateBytes)
        // Reserved once: an array grown by doubling would hold up to twice the budget, and both
        // its old and new storage while it grows.
        buffer.reserveCapacity(capacity)
    }

    mutating func add(_ record: SortRecord) throws(ReplayError) {
        buffer.append(record)
        if buffer.count >= capacity { try spill() }
    }

    /// The buffer's positions in sorted order: the records stay where they are, so the sort
    /// moves 8-byte positions (its scratch half as many), not rows of about 200 bytes.
    private func sortedOrder() -> [Int] {
        var order = Array(buffer.indices)
        buffer.withUnsafeBufferPointer { b in order.sort { SortRecord.precedes(b[$0], b[$1]) } }
        return order
    }

    private mutating func spill() throws(ReplayError) {
        let order = sortedOrder()
        let path = directory + "/.sort-run-\(getpid())-\(runs.count)"
        guard let f = fopen(path, "wb") else { throw .output(file: path, message: String(cString: strerror(errno))) }
        runs.append(path)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 20)
        for k in order {
            buffer[k].encode(into: &bytes)
            if bytes.count >= 1 << 20 {
                guard fwrite(bytes, 1, bytes.count, f) == bytes.count else { fclose(f); throw .output(file: path, message: "short write") }
                bytes.removeAll(keepingCapacity: true)
            }
        }
        let ok = fwrite(bytes, 1, bytes.count, f) == bytes.count
        guard fclose(f) == 0, ok else { throw .output(file: path, message: "short write") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with every record in order, then removes the runs.
    mutating func finish(_ body: (SortRecord) -> Void) throws(ReplayError) {
        defer { for path in runs { unlink(path) } }
        if runs.isEmpty {
            for k in sortedOrder() { body(buffer[k]) }
            return
        }
        if !buffer.isEmpty { try spill() }
        var readers: [RunReader] = []
        for path in runs { readers.append(try RunReader(path: path)) }
        try mergeSorted(sources: readers.count, next: { k throws(ReplayError) in try readers[k].next() }, precedes: SortRecord.precedes, body)
    }
}

/// Calls `body` with every element of `count` sorted sources (`next(k)` gives source k's next
/// element, nil at its end) in the order `precedes` defines, by a scan of the sources' heads;
/// on a tie the lower-numbered source goes first. Used by the merges of sorted run files.
func mergeSorted<R>(
    sources count: Int, next: (Int) throws(ReplayError) -> R?, precedes: (R, R) -> Bool, _ body: (R) throws(ReplayError) -> Void
) throws(ReplayError) {
    var heads: [R?] = []
    for k in 0..<count { heads.append(try next(k)) }
    while true {
        var best = -1
        for k in heads.indices {
            guard let h = heads[k] else { continue }
            if best < 0 || precedes(h, heads[best].unsafelyUnwrapped) { best = k }
        }
        guard best >= 0, let head = heads[best] else { return }
        try body(head)
        heads[best] = try next(best)
    }
}

/// The fixed-width fields of the run files (the external sort's and the rejected-directive
/// store's): little-endian integers.
enum RunBytes {
    static func put<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// The integer at `k` of `b`, moving `k` past it; nil when `b` ends before it does.
    static func get<T: FixedWidthInteger>(_: T.Type, _ b: UnsafeBufferPointer<UInt8>, at k: inout Int) -> T? {
        guard k + MemoryLayout<T>.size <= b.count else { return nil }
        var v: T = 0
        withUnsafeMutableBytes(of: &v) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[k..<(k + MemoryLayout<T>.size)]))
        }
        k += MemoryLayout<T>.size
        return T(littleEndian: v)
    }
}

/// Reads one sorted run back in blocks. Owns its file.
private final class RunReader {
    let file: UnsafeMutablePointer<FILE>
    let records: RecordReader

    init(path: String) throws(ReplayError) {
        guard let f = fopen(path, "rb") else { throw .output(file: path, message: String(cString: strerror(errno))) }
        file = f
        // One reader per run is open during the merge: 256 KiB each.
        records = RecordReader(file: f, path: path, chunk: 1 << 18)
    }

    deinit { fclose(file) }

    func next() throws(ReplayError) -> SortRecord? { try records.next(SortRecord.decode) }
}

/// Reads the records of a run file through one buffer (`chunk` bytes, doubled when a record
/// does not fit); a read error or a record cut short is an error. Does not own the file.
/// Not thread-safe; used by one merge.
final class RecordReader {
    let file: UnsafeMutablePointer<FILE>
    let path: String
    var buffer: [UInt8]
    /// The bytes read and not yet decoded.
    var start = 0, end = 0

    init(file: UnsafeMutablePointer<FILE>, path: String, chunk: Int) {
        (self.file, self.path) = (file, path)
        buffer = [UInt8](repeating: 0, count: chunk)
    }

    func next<R>(_ decode: (UnsafeBufferPointer<UInt8>, inout Int) -> R?) throws(ReplayError) -> R? {
        while true {
            var used = 0
            let (from, to) = (start, end)
            if let r = buffer.withUnsafeBufferPointer({ decode(UnsafeBufferPointer(rebasing: $0[from..<to]), &used) }) {
                start += used
                return r
            }
            // A partial record: moved to the front, then more bytes after it.
            let rest = end - start
            buffer.withUnsafeMutableBytes { b in
                if rest > 0 && from > 0 { _ = memmove(b.baseAddress.unsafelyUnwrapped, b.baseAddress.unsafelyUnwrapped + from, rest) }
            }
            (start, end) = (0, rest)
            if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let filled = end
            let n = buffer.withUnsafeMutableBufferPointer { fread($0.baseAddress.unsafelyUnwrapped + filled, 1, $0.count - filled, file) }
            if n == 0 {
                if ferror(file) != 0 { throw .output(file: path, message: "read error") }
                guard end == 0 else { throw .output(file: path, message: "truncated record") }
                return nil
            }
            end += n
        }
    }
}
