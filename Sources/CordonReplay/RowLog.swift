#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// What the first pass read of every row of the inputs that it read in place (mapped CSV or
/// NDJSON files), in input order: where the row's bytes lie in the file, its vehicle's slot,
/// its time and its position. The second pass classifies, counts, draws and copies an input's
/// rows from its section of the log and the mapped file, without scanning the input a second
/// time (`Replay.redact(_:log:…)`); a coarsened row, the one that needs its fields' places, is
/// scanned again alone (`Section.rescanner`).
///
/// 40 bytes a row, kept in one temporary file in the output directory for the whole replay
/// (removed from the directory as soon as it is made, so a crash leaves nothing behind; its
/// space goes when the log is released), written a batch at a time: the memory held is a batch
/// or two and the file descriptors one, whatever the size and number of the inputs. The log is
/// a shortcut, never a requirement: when its file cannot be made or written, it is `failed`
/// and the second pass scans the inputs again, as it does for inputs read through a buffer
/// (gzip), GPX, one thread, or a sorted first pass.
///
/// Owned by the first pass while it appends (one thread at a time: the thread that checks a
/// block's rows), then by the second; not thread-safe.
final class RowLog {
    /// One row: plain data (no references), written to and read from the file as it lies in
    /// memory by the one process that wrote it.
    struct Record {
        var time: Int64
        var lat: Double
        var lon: Double
        /// Offset of the row's first byte in the file.
        var start: Int64
        /// The row's bytes, its line end included.
        var length: UInt32
        /// The vehicle's slot (its place in the section's `ids`), or −1 for a row without a
        /// vehicle id.
        var slot: Int32
    }

    /// How a row is scanned again on its own (the first pass's scanner, header included).
    /// A value.
    enum Rescanner {
        case csv(CSVScanner)
        case ndjson(NDJSONScanner)

        /// The row in `bytes` (one row, its line end included), read as the first pass read it;
        /// its offsets count from `bytes`' start. Nil when the bytes hold no row. `memory` and
        /// `rows` are the caller's, kept from row to row (a fresh memory sets up its id table).
        func row(_ bytes: UnsafeBufferPointer<UInt8>, memory: inout ScanMemory, rows: inout [TripRow]) -> TripRow? {
            rows.removeAll(keepingCapacity: true)
            switch self {
            case .csv(let scanner): _ = scanner.scan(bytes, 0..<bytes.count, firstLine: 0, into: &rows, memory: &memory)
            case .ndjson(let scanner): _ = scanner.scan(bytes, 0..<bytes.count, firstLine: 0, into: &rows, memory: &memory)
            }
            return rows.first
        }
    }

    /// One input's rows in the log. A value.
    struct Section {
        /// Size of the file the rows were read from, checked by the second pass before it
        /// trusts the offsets.
        let fileBytes: Int
        /// The section's first record in the log, and its records.
        let first: Int
        var count = 0
        /// Vehicle ids by slot, in the order the rows first name them (as `ReplayReport.Tally`
        /// numbers them when it reads the rows itself).
        var ids: [String] = []
        /// How the second pass reads a coarsened row again.
        var rescanner: Rescanner?
    }

    /// Rows per batch (about 1.3 MB).
    static let batchRows = 1 << 15
    /// The finished sections, by input.
    private(set) var sections: [Int: Section] = [:]
    /// Whether writing failed (the log is then of no use and holds nothing).
    private(set) var failed = false
    /// The section being appended to, and its input.
    private var current: (input: Int, section: Section)?
    /// Records written to the file.
    private var written = 0
    private var fd: Int32
    /// The batch being written, then the two read back in turn (`forEachBatch`): allocated
    /// once for the whole replay, whatever the number of inputs.
    private let batch: UnsafeMutablePointer<Record>
    private let second: UnsafeMutablePointer<Record>
    /// Per batch read back, by its number's parity, room for what the second pass decides
    /// about each row (`decisions(for:)`).
    private let decided: [UnsafeMutablePointer<Decision>]
    private var pending = 0
    private var slots = VehicleSlots()
    private var keys = ScanKeyMemo()

    /// A log in a temporary file in `directory`; nil when the file cannot be made.
    init?(directory: String) {
        let path = directory + "/.rows-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        unlink(path)
        batch = .allocate(capacity: Self.batchRows)
        second = .allocate(capacity: Self.batchRows)
        decided = (0..<2).map { _ in .allocate(capacity: Self.batchRows) }
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
        batch.deallocate()
        second.deallocate()
        for d in decided { d.deallocate() }
    }

    /// Room for a decision per row of batch `k` (`forEachBatch`), shared by its two stages:
    /// the same memory for batches of the same parity.
    func decisions(for k: Int) -> UnsafeMutablePointer<Decision> { decided[k % 2] }

    /// Starts the section of input `input`, a file of `fileBytes` bytes (ending any section
    /// not finished, which is then dropped).
    func begin(input: Int, fileBytes: Int) {
        flush()
        current = (input, Section(fileBytes: fileBytes, first: written))
        slots = VehicleSlots()
        keys = ScanKeyMemo()
    }

    /// Ends the current section: its rows are written, and the second pass will read it.
    func end(rescanner: Rescanner?) {
        flush()
        guard !failed, let (input, started) = current else { return }
        var section = started
        section.count = written - section.first
        section.ids = slots.ids
        section.rescanner = rescanner
        sections[input] = section
        current = nil
        slots = VehicleSlots()
    }

    /// Logs `rows` (in input order, after every row logged so far) in the current section,
    /// their offsets counting from `origin` in the file.
    func append(_ rows: [TripRow], origin: Int) {
        guard !failed, current != nil else { return }
        rows.withUnsafeBufferPointer { rows in
            for r in rows.indices {
                var slot: Int32 = -1
                if !rows[r].vehicle.isEmpty {
                    if let known = keys.slot(rows[r].idKey) {
                        slot = known
                    } else {
                        slot = Int32(slots.slot(of: rows[r].vehicle, hash: rows[r].vehicleHash).slot)
                        keys.learn(rows[r].idKey, slot)
                    }
                }
                batch[pending] = Record(
                    time: rows[r].time, lat: rows[r].lat, lon: rows[r].lon, start: Int64(origin + rows[r].start),
                    length: UInt32(rows[r].end - rows[r].start), slot: slot)
                pending += 1
                if pending == Self.batchRows { flush() }
            }
        }
    }

    /// Writes the rows not written yet.
    private func flush() {
        guard !failed, pending > 0 else { return }
        let bytes = pending * MemoryLayout<Record>.stride
        var done = 0
        while done < bytes {
            let n = Glibc.write(fd, UnsafeRawPointer(batch) + done, bytes - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return fail() }
            done += n
        }
        written += pending
        pending = 0
    }

    private func fail() {
        failed = true
        pending = 0
        sections = [:]
        current = nil
        _ = Glibc.close(fd)
        fd = -1
    }

    /// Calls `body` with the rows of `section` in order, a batch at a time, and the batch's number
    /// (0, 1, …). Each batch is first read and handed to `ahead`, in order, on another thread
    /// while `body` runs on the batch before (the first batch on the calling thread): `ahead`
    /// of batch k + 1 overlaps `body` of batch k, never `body` of batch k + 1, nor another
    /// `ahead`. Throws when the file cannot be read back (`file` names the input for the
    /// message).
    func forEachBatch(
        of section: Section, file: String, ahead: @escaping @Sendable (_ batch: Int, UnsafeBufferPointer<Record>) -> Void,
        _ body: (_ batch: Int, UnsafeBufferPointer<Record>) throws(ReplayError) -> Void
    ) throws(ReplayError) {
        guard !failed, pending == 0 else { throw .output(file: file, message: "the first pass's row log was not written") }
        let buffers = UnsafeSendable([batch, second])
        let fd = self.fd, count = section.count, base = section.first
        /// Reads batch `k` into its buffer and hands it to `ahead`; the error's text, or nil.
        let read = { @Sendable (k: Int) -> String? in
            let first = k * Self.batchRows
            let rows = min(Self.batchRows, count - first)
            let stride = MemoryLayout<Record>.stride
            let buffer = buffers.value[k % 2]
            var done = 0
            while done < rows * stride {
                let n = pread(fd, UnsafeMutableRawPointer(buffer) + done, rows * stride - done, off_t((base + first) * stride + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return n < 0 ? String(cString: strerror(errno)) : "it ends early" }
                done += n
            }
            ahead(k, UnsafeBufferPointer(start: buffer, count: rows))
            return nil
        }
        let batches = (count + Self.batchRows - 1) / Self.batchRows
        var failure = batches > 0 ? read(0) : nil
        for k in 0..<batches {
            if let failure { throw .output(file: file, message: "reading the first pass's row log back: " + failure) }
            let next = UnsafeMutableBox<String?>(nil)
            let group = DispatchGroup()
            if k + 1 < batches { DispatchQueue.global().async(group: group) { next.value = read(k + 1) } }
            let rows = min(Self.batchRows, count - k * Self.batchRows)
            let outcome = Result { () throws(ReplayError) in try body(k, UnsafeBufferPointer(start: buffers.value[k % 2], count: rows)) }
            group.wait()
            try outcome.get()
            failure = next.value
        }
    }
}
