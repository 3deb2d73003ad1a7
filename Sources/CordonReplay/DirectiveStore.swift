#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directives of one evaluation worker's vehicles, as their wire lines (vehicle id,
/// sequence number, NDJSON line), out of the vehicles' memory: a long log has a directive per
/// change of state and a log full of duplicate or unusable fixes one per row, so holding them
/// as values would grow the replay with the input. Past `memoryBytes` they go to a temporary
/// file in the output directory, and `DirectiveStore.merged` reads them all back ordered by
/// vehicle and sequence through sorted runs of bounded size.
///
/// Owned by one worker while evaluating, then by `Replay.run`; not thread-safe. A class so that
/// its temporary file is closed and removed with it; `merged` removes the runs it writes.
final class DirectiveStore {
    let directory: String
    let memoryBytes: Int
    /// Records not yet written, as `Record.encode` lays them out.
    private var buffer: [UInt8] = []
    private var file: UnsafeMutablePointer<FILE>?
    private var path: String?
    /// The first write error: adding stops, and `merged` throws it.
    private var failure: ReplayError?

    init(directory: String, memoryBytes: Int) {
        self.directory = directory
        self.memoryBytes = max(1 << 12, memoryBytes)
    }

    deinit {
        if let file { fclose(file) }
        if let path { unlink(path) }
    }

    /// Keeps one directive's line (a write error is kept for `merged` to throw).
    func add(vehicle: String, seq: Int, line: String) {
        guard failure == nil else { return }
        var text = line
        text.withUTF8 { Record.encode(vehicle: vehicle, seq: seq, line: $0, into: &buffer) }
        if buffer.count >= memoryBytes {
            do throws(ReplayError) { try spill() } catch { failure = error }
        }
    }

    private func spill() throws(ReplayError) {
        if file == nil {
            let p = directory + "/.directives-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            guard let f = fopen(p, "w+b") else { throw .output(file: p, message: String(cString: strerror(errno))) }
            (file, path) = (f, p)
        }
        guard let file, fwrite(buffer, 1, buffer.count, file) == buffer.count else {
            throw .output(file: path ?? directory, message: "short write")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Calls `body(vehicle, seq, line)` for every record of `stores`, ordered by `rank` of the
    /// vehicle (smaller first) and then by sequence number, holding at most about `memoryBytes`
    /// of records at once (sorted runs in `directory`, merged).
    static func merged(
        _ stores: [DirectiveStore], rank: (String) -> Int, directory: String, memoryBytes: Int,
        _ body: (_ vehicle: String, _ seq: Int, _ line: UnsafeBufferPointer<UInt8>) throws(ReplayError) -> Void
    ) throws(ReplayError) {
        var runs = RunSet(directory: directory, memoryBytes: max(1 << 12, memoryBytes))
        defer { runs.removeAll() }
        for k in stores.indices {
            if let failure = stores[k].failure { throw failure }
            if let file = stores[k].file {
                try stores[k].spill()
                rewind(file)
                let reader = RecordReader(file: file, path: stores[k].path ?? directory, chunk: 1 << 16)
                while let record = try reader.next(Record.decode) {
                    try runs.add(record, rank: rank)
                }
            } else {
                var position = 0
                let buffer = stores[k].buffer
                while let record = buffer.withUnsafeBufferPointer({ Record.decode($0, at: &position) }) {
                    try runs.add(record, rank: rank)
                }
            }
        }
        try runs.finish(body)
    }

    /// One decoded record.
    struct Record {
        var vehicle: String
        var seq: Int
        var line: [UInt8]

        static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: inout Int) -> Record? {
            var k = i
            func get<T: FixedWidthInteger>(_ type: T.Type) -> T? { RunBytes.get(type, b, at: &k) }
            guard let n = get(UInt32.self), k + Int(n) <= b.count else { return nil }
            let vehicle = String(decoding: UnsafeBufferPointer(rebasing: b[k..<(k + Int(n))]), as: UTF8.self)
            k += Int(n)
            guard let seq = get(UInt64.self), let m = get(UInt32.self), k + Int(m) <= b.count else { return nil }
            let line = Array(UnsafeBufferPointer(rebasing: b[k..<(k + Int(m))]))
            k += Int(m)
            i = k
            return Record(vehicle: vehicle, seq: Int(Int64(bitPattern: seq)), line: line)
        }

        func encode(into out: inout [UInt8]) {
            line.withUnsafeBufferPointer { Record.encode(vehicle: vehicle, seq: seq, line: $0, into: &out) }
        }

        /// The one layout of a record: id length (UInt32), id bytes, seq (Int64), line length
        /// (UInt32), line bytes.
        static func encode(vehicle: String, seq: Int, line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
            var id = vehicle
            id.withUTF8 { id in
                RunBytes.put(UInt32(id.count), &out)
                out.append(contentsOf: id)
            }
            RunBytes.put(UInt64(bitPattern: Int64(seq)), &out)
            RunBytes.put(UInt32(line.count), &out)
            out.append(contentsOf: line)
        }
    }

    /// Sorted runs of records by (rank, seq): in memory while they fit, else in files.
    private struct RunSet {
        let directory: String
        let memoryBytes: Int
        var pending: [(rank: Int, record: Record)] = []
        var bytes = 0
        var paths: [String] = []

        init(directory: String, memoryBytes: Int) {
            self.directory = directory
            self.memoryBytes = memoryBytes
        }

        mutating func add(_ record: Record, rank: (String) -> Int) throws(ReplayError) {
            pending.append((rank(record.vehicle), record))
            bytes += record.line.count + record.vehicle.utf8.count + 64
            if bytes >= memoryBytes { try spill() }
        }

        /// By vehicle rank, then sequence number.
        static func precedes(_ a: (rank: Int, record: Record), _ b: (rank: Int, record: Record)) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.record.seq < b.record.seq
        }

        mutating func sortPending() { pending.sort(by: Self.precedes) }

        mutating func spill() throws(ReplayError) {
            sortPending()
            let path = directory + "/.directives-run-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            guard let f = fopen(path, "wb") else { throw .output(file: path, message: String(cString: strerror(errno))) }
            paths.append(path)
            var out: [UInt8] = []
            out.reserveCapacity(1 << 20)
            var ok = true
            for p in pending {
                RunBytes.put(UInt64(p.rank), &out)
                p.record.encode(into: &out)
                if out.count >= 1 << 20 {
                    ok = ok && fwrite(out, 1, out.count, f) == out.count
                    out.removeAll(keepingCapacity: true)
                }
            }
            ok = ok && fwrite(out, 1, out.count, f) == out.count
            guard fclose(f) == 0, ok else { throw .output(file: path, message: "short write") }
            pending.removeAll(keepingCapacity: true)
            bytes = 0
        }

        mutating func finish(
            _ body: (_ vehicle: String, _ seq: Int, _ line: UnsafeBufferPointer<UInt8>) throws(ReplayError) -> Void
        ) throws(ReplayError) {
            if paths.isEmpty {
                sortPending()
                for p in pending { try p.record.line.withUnsafeBufferPointer { b throws(ReplayError) in try body(p.record.vehicle, p.record.seq, b) } }
                return
            }
            if !pending.isEmpty { try spill() }
            var readers: [RecordReader] = []
            defer { for r in readers { fclose(r.file) } }
            for path in paths {
                guard let f = fopen(path, "rb") else { throw .output(file: path, message: String(cString: strerror(errno))) }
                readers.append(RecordReader(file: f, path: path, chunk: 1 << 16))
            }
            func next(_ k: Int) throws(ReplayError) -> (rank: Int, record: Record)? {
                try readers[k].next { b, i in
                    var k = i
                    guard let rank = RunBytes.get(UInt64.self, b, at: &k), let record = Record.decode(b, at: &k) else { return nil }
                    i = k
                    return (Int(rank), record)
                }
            }
            try mergeSorted(sources: readers.count, next: next, precedes: Self.precedes) { head throws(ReplayError) in
                try head.record.line.withUnsafeBufferPointer { b throws(ReplayError) in try body(head.record.vehicle, head.record.seq, b) }
            }
        }

        mutating func removeAll() {
            for path in paths { unlink(path) }
            paths = []
        }
    }
}
