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
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
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
        func get<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard k + MemoryLayout<T>.size <= b.count else { return nil }
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[k..<(k + MemoryLayout<T>.size)])) }
            k += MemoryLayout<T>.size
            return T(littleEndian: v)
        }
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
        var heads: [SortRecord?] = readers.indices.map { _ in nil }
        for k in readers.indices { heads[k] = try readers[k].next() }
        while true {
            var best = -1
            for k in heads.indices {
                guard let h = heads[k] else { continue }
                if best < 0 || SortRecord.precedes(h, heads[best].unsafelyUnwrapped) { best = k }
            }
            guard best >= 0, let record = heads[best] else { break }
            body(record)
            heads[best] = try readers[best].next()
        }
    }
}

/// Reads one sorted run back in blocks.
private final class RunReader {
    let path: String
    let file: UnsafeMutablePointer<FILE>
    var buffer: [UInt8] = []
    var position = 0
    var atEnd = false
    /// Bytes read at a time: one run reader per run is open during the merge.
    static let chunk = 1 << 18

    init(path: String) throws(ReplayError) {
        self.path = path
        guard let f = fopen(path, "rb") else { throw .output(file: path, message: String(cString: strerror(errno))) }
        file = f
    }

    deinit { fclose(file) }

    func next() throws(ReplayError) -> SortRecord? {
        while true {
            if let r = buffer.withUnsafeBufferPointer({ SortRecord.decode($0, at: &position) }) { return r }
            if atEnd { return nil }
            buffer.removeFirst(position)
            position = 0
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: RunReader.chunk))
            let n = buffer.withUnsafeMutableBufferPointer { fread($0.baseAddress.unsafelyUnwrapped + start, 1, RunReader.chunk, file) }
            buffer.removeLast(RunReader.chunk - n)
            if n == 0 { atEnd = true }
        }
    }
}
