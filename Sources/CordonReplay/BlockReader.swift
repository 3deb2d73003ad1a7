#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Reads one trip-log input block by block: reads bytes, keeps the whole rows (carrying an
/// unfinished row over to the next block), and scans them into `TripRow`s, on two threads
/// (the block's halves) when `parallelScan`.
///
/// `@unchecked Sendable`: it is used by one thread at a time (`Replay.forEachBlock` hands it to
/// a worker and waits for it before touching it again); each `Block` it returns is the
/// caller's, and it keeps no reference to it.
final class BlockReader: @unchecked Sendable {
    /// Whole rows: the bytes (the block may begin with the previous block's unfinished row, or
    /// the CSV header), the rows located in them, and how many bytes they span.
    struct Block {
        var bytes: [UInt8]
        /// The block's bytes in the mapped file instead of `bytes` (which is then empty), from
        /// offset `origin` of the file.
        var view: UnsafeBufferPointer<UInt8>? = nil
        var origin = 0
        var rows: [TripRow]
        /// The second half's rows when the block was scanned in halves on two threads (after
        /// `rows`; kept apart rather than appended, which copied every row on one thread).
        var extra: [TripRow] = []
        var consumed: Int
        /// Read by `next(chunked: true)`: the byte ranges of its rows in order, each scanned
        /// by `scan(chunk:of:)` (`rows` is then empty).
        var chunks: [Range<Int>] = []
        /// Whether the CSV rows of `chunks` were seen to hold no quote (their scans then need
        /// not look again).
        var quoteFree = false

        /// Calls `body` with the block's bytes (the view into the mapped file, or `bytes`).
        func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
            if let view { return try body(view) }
            return try bytes.withUnsafeBufferPointer(body)
        }
    }

    private let input: Replay.Input
    private let options: ReplayOptions
    private let meter: ProgressMeter
    private let parallelScan: Bool
    private let blockBytes: Int
    private let source: ByteSource
    private var buffer: [UInt8] = []
    /// Storage given back by `recycle`, reused for the next blocks. Row arrays come back with
    /// their rows, emptied by the scan that reuses them (on its own thread when it scans halves).
    private var spareBytes: [[UInt8]] = []
    private var spareRows: [[TripRow]] = []
    private var csv: CSVScanner?
    private var gpx: GPXScanner
    private let ndjson: NDJSONScanner
    private var line = 1
    private var atEnd = false
    /// Where the next block starts in a mapped file.
    private var offset = 0
    private var want: Int
    /// The halves' row arrays while two threads scan them (empty otherwise).
    private let halves = [UnsafeMutableBox([TripRow]()), UnsafeMutableBox([TripRow]())]
    /// What the scans of each half (the first also for whole blocks) remember from block to block.
    private let memories = [UnsafeMutableBox(ScanMemory()), UnsafeMutableBox(ScanMemory())]

    /// `blockBytes`: bytes read per block (a longer row makes the block longer).
    private let positionsOnly: Bool

    /// `positionsOnly`: CSV rows are read for their vehicle, time and position only.
    init(
        _ input: Replay.Input, options: ReplayOptions, meter: ProgressMeter, blockBytes: Int, parallelScan: Bool, positionsOnly: Bool = false
    ) throws(ReplayError) {
        self.positionsOnly = positionsOnly
        self.input = input
        self.options = options
        self.meter = meter
        self.blockBytes = max(1, blockBytes)
        self.parallelScan = parallelScan
        source = try ByteSource(path: input.path, mapped: true)
        gpx = GPXScanner(file: input.path)
        ndjson = NDJSONScanner(file: input.path, names: options.columns)
        want = self.blockBytes
        buffer.reserveCapacity(self.blockBytes + self.blockBytes / 8)
    }

    func close() { source.close() }

    /// Size of the file when it is read in place (mapped), else nil.
    var mappedBytes: Int? { source.mapping?.count }

    /// How a row of this input is scanned again on its own, once the header is read (CSV) or
    /// always (NDJSON); nil for GPX.
    var rescanner: RowLog.Rescanner? {
        switch input.format {
        case .csv: csv.map { .csv($0) }
        case .ndjson: .ndjson(ndjson)
        case .gpx: nil
        }
    }

    /// Takes a block's storage back for later blocks (reused in place when `block` holds the
    /// only reference to it, as `Replay.forEachBlock` makes sure). The rows are not destroyed
    /// here but by the scan that fills the arrays again.
    func recycle(_ block: inout Block) {
        if block.view != nil {
            source.discard(upTo: block.origin + block.consumed)
            block.view = nil
        }
        block.bytes.removeAll(keepingCapacity: true)
        if spareBytes.isEmpty { spareBytes.append(block.bytes) }
        if spareRows.count < 2 { spareRows.append(block.rows) }
        if spareRows.count < 2 { spareRows.append(block.extra) }
        block.bytes = []
        block.rows = []
        block.extra = []
    }

    /// The next block, or nil after the last one. `chunked` (CSV and NDJSON only, whose rows are
    /// found without reading them; GPX's scanner carries the track from one block to the next):
    /// its rows are not scanned but cut into `chunks` of about `chunkBytes`, for
    /// `scan(chunk:of:into:)` on any thread, then `finish(_:lines:)`.
    func next(chunked: Bool = false, chunkBytes: Int = 1 << 17) throws(ReplayError) -> Block? {
        if let mapping = source.mapping { return try next(in: mapping, chunked: chunked, chunkBytes: chunkBytes) }
        while !atEnd {
            let n = try source.read(into: &buffer, count: want)
            atEnd = n == 0
            meter.set(done: source.diskOffset)
            var rows = spareRows.popLast() ?? [], extra = spareRows.popLast() ?? []
            var consumed = 0
            var chunks: [Range<Int>] = []
            var quoteFree = false
            let complete = try buffer.withUnsafeBufferPointer { b throws(ReplayError) in
                try scan(
                    b, into: &rows, &extra, consumed: &consumed, chunks: chunked ? max(1, chunkBytes) : nil, ranges: &chunks,
                    quoteFree: &quoteFree)
            }
            if consumed == 0 && !atEnd && buffer.count >= want {
                want *= 2  // one row longer than a block: read more before scanning again
                guard want <= 1 << 30 else { throw .input(file: input.path, message: "line \(line): a row longer than 1 GiB") }
            }
            // The unfinished row starts the next block's bytes.
            var rest = spareBytes.popLast() ?? []
            rest.reserveCapacity(want + blockBytes / 8)  // a block and the unfinished row before it
            buffer.withUnsafeBufferPointer { b in rest.append(contentsOf: UnsafeBufferPointer(rebasing: b[consumed...])) }
            let bytes = buffer
            buffer = rest
            if atEnd, !buffer.isEmpty, input.format == .csv, csv == nil {
                throw .input(file: input.path, message: "line 1: no header")
            }
            guard complete else {
                spareRows.append(rows)
                spareRows.append(extra)
                continue
            }
            return Block(bytes: bytes, rows: rows, extra: extra, consumed: consumed, chunks: chunks, quoteFree: quoteFree)
        }
        return nil
    }

    /// `next` for a mapped file: each block is a window of the mapping from the end of the
    /// last one (`offset`), read in place; the unfinished row at its end starts the next
    /// window, so nothing is carried over.
    private func next(in mapping: UnsafeBufferPointer<UInt8>, chunked: Bool, chunkBytes: Int) throws(ReplayError) -> Block? {
        while !atEnd {
            let end = min(mapping.count, offset + want)
            atEnd = end == mapping.count
            source.prefault(offset..<end)
            meter.set(done: Int64(end))
            let window = UnsafeBufferPointer(rebasing: mapping[offset..<end])
            var rows = spareRows.popLast() ?? [], extra = spareRows.popLast() ?? []
            var consumed = 0
            var chunks: [Range<Int>] = []
            var quoteFree = false
            let complete = try scan(
                window, into: &rows, &extra, consumed: &consumed, chunks: chunked ? max(1, chunkBytes) : nil, ranges: &chunks,
                quoteFree: &quoteFree)
            if atEnd, consumed < window.count, input.format == .csv, csv == nil {
                throw .input(file: input.path, message: "line 1: no header")
            }
            guard complete, consumed > 0 || atEnd else {
                // One row (or the header) longer than the window: a longer window.
                spareRows.append(rows)
                spareRows.append(extra)
                atEnd = false
                want *= 2
                guard want <= 1 << 30 else { throw .input(file: input.path, message: "line \(line): a row longer than 1 GiB") }
                continue
            }
            let block = Block(
                bytes: [], view: window, origin: offset, rows: rows, extra: extra, consumed: consumed, chunks: chunks, quoteFree: quoteFree)
            offset += consumed
            if !atEnd { want = blockBytes }
            return block
        }
        return nil
    }

    /// The rows of chunk `k` of `block` (from `next(chunked: true)`), with line numbers counted
    /// from 0 at the chunk's start, and the lines it spans. Reads only the scanners' settings:
    /// different chunks may be scanned on different threads at once, each with its own `memory`.
    func scan(chunk k: Int, of block: Block, into rows: inout [TripRow], memory: inout ScanMemory) -> Int {
        let range = block.chunks[k]
        return block.withBytes { b in
            if let csv { return csv.scan(b, range, firstLine: 0, into: &rows, memory: &memory, quoteFree: block.quoteFree ? true : nil) }
            return ndjson.scan(b, range, firstLine: 0, into: &rows, memory: &memory)
        }
    }

    /// Numbers the rows of a chunked block's scanned chunks (`rows[k]`, spanning `lines[k]`
    /// lines) from the reader's line, and moves the reader past them.
    func finish(_ rows: inout [[TripRow]], lines: [Int]) {
        for (k, offset) in advance(over: lines).enumerated() {
            rows[k].withUnsafeMutableBufferPointer { chunk in
                for r in chunk.indices { chunk[r].line += offset }
            }
        }
    }

    /// The first line of each chunk of a chunked block whose chunks span `lines[k]` lines,
    /// counted from the reader's line; moves the reader past them. For a caller that leaves the
    /// rows numbered from their chunk's start (`finish` numbers them instead).
    func advance(over lines: [Int]) -> [Int] {
        var firsts: [Int] = []
        firsts.reserveCapacity(lines.count)
        for n in lines {
            firsts.append(line)
            line += n
        }
        return firsts
    }

    /// Scans the whole rows at the start of `b` into `rows` (and, when two threads scan
    /// halves, the second half's into `extra`), emptying both first; false when there is no
    /// block yet (the CSV header is not complete). With `chunks`, CSV and NDJSON rows are not
    /// scanned but their bytes cut into `ranges` of about that many bytes, at row boundaries.
    private func scan(
        _ b: UnsafeBufferPointer<UInt8>, into rows: inout [TripRow], _ extra: inout [TripRow], consumed: inout Int, chunks: Int?,
        ranges: inout [Range<Int>], quoteFree: inout Bool
    ) throws(ReplayError) -> Bool {
        var start = 0
        if input.format == .csv && csv == nil {
            guard let (read, headerEnd) = try CSVScanner.header(b, atEnd: atEnd, file: input.path, names: options.columns) else { return false }
            var scanner = read
            scanner.positionsOnly = positionsOnly
            csv = scanner
            start = headerEnd
            line = 2
        }
        let halvesScan = parallelScan && input.format != .gpx && chunks == nil && b.count - start > 1 << 16
        if !halvesScan {
            rows.removeAll(keepingCapacity: true)
            extra.removeAll(keepingCapacity: true)
        }
        switch input.format {
        case .gpx:
            let (c, next) = try gpx.scan(b, from: 0, atEnd: atEnd, firstLine: line, into: &rows)
            consumed = c
            line = next
        case .csv, .ndjson:
            let tail = UnsafeBufferPointer(rebasing: b[start...])
            var (length, middle) = input.format == .csv ? CSVScanner.completeRows(tail) : Bytes.completeLines(tail)
            if atEnd { length = tail.count; middle = min(middle, length) }
            if middle == 0 { middle = length }
            let first = start..<(start + middle), second = (start + middle)..<(start + length)
            if let chunks {
                // Cut after the first row end at or past each multiple of `chunks`. Whether the
                // rows hold a quote is looked at once for the block: looking again from each
                // cut to the block's end read the block a dozen times over.
                var from = start
                let end = start + length
                let quoted = input.format == .csv && b.baseAddress.map { memchr($0 + start, Int32(UInt8(ascii: "\"")), length) != nil } == true
                while from < end {
                    var to = min(end, from + chunks)
                    if to < end {
                        to =
                            input.format == .csv
                            ? CSVScanner.rowEnd(b, after: to, from: from, to: end, quoted: quoted)
                            : (Bytes.lineEnd(b, from: to).map { min($0 + 1, end) } ?? end)
                    }
                    ranges.append(from..<to)
                    from = to
                }
                quoteFree = input.format == .csv && !quoted
                consumed = end
                return true
            }
            if halvesScan {
                let secondLine = line + Bytes.newlines(b, first.lowerBound, first.upperBound)
                let scanCSV = csv
                let firstLine = line
                let boxes = halves
                // Each thread empties (destroying the rows of an earlier block) and fills one.
                swap(&rows, &boxes[0].value)
                swap(&extra, &boxes[1].value)
                let bytes = UnsafeSendable(b)
                let ndjson = self.ndjson
                let memories = self.memories
                DispatchQueue.concurrentPerform(iterations: 2) { k in
                    let range = k == 0 ? first : second
                    let l = k == 0 ? firstLine : secondLine
                    boxes[k].value.removeAll(keepingCapacity: true)
                    if let scanCSV {
                        _ = scanCSV.scan(bytes.value, range, firstLine: l, into: &boxes[k].value, memory: &memories[k].value)
                    } else {
                        _ = ndjson.scan(bytes.value, range, firstLine: l, into: &boxes[k].value, memory: &memories[k].value)
                    }
                }
                swap(&rows, &boxes[0].value)  // the first half's rows, then the second's
                swap(&extra, &boxes[1].value)
                line = secondLine + Bytes.newlines(b, second.lowerBound, second.upperBound)
            } else if let scanner = csv {
                line = scanner.scan(b, start..<(start + length), firstLine: line, into: &rows, memory: &memories[0].value)
            } else {
                line = ndjson.scan(b, start..<(start + length), firstLine: line, into: &rows, memory: &memories[0].value)
            }
            consumed = start + length
        }
        return true
    }
}

/// One block being read (by one thread) and scanned chunk by chunk (by any threads that take
/// chunks) from a `BlockReader` in chunked mode: the pipelined passes' unit of reading.
///
/// `@unchecked Sendable`: `publish` is called once, by the thread that reads, before it signals
/// `ready`; each chunk's rows and line span, and its spare array, are then touched by the one
/// thread that claims the chunk (an atomic counter); `take` is called after every thread is done
/// with the block (a wait orders their writes before it). The reader is used by the reading
/// thread only.
final class ChunkScan: @unchecked Sendable {
    let reader: BlockReader
    private(set) var block: BlockReader.Block?
    private var failure: ReplayError?
    private let ready = DispatchSemaphore(value: 0)
    private let next = Atomic<Int>(0)
    private var rows: UnsafeMutableBufferPointer<[TripRow]> = .init(start: nil, count: 0)
    private var lines: UnsafeMutableBufferPointer<Int> = .init(start: nil, count: 0)
    /// An earlier block's row arrays, kept for their capacity: chunk k takes `spares[k]`.
    private let spares: UnsafeMutableBufferPointer<[TripRow]>

    /// `spares`: the row arrays of a block done with (moved in; emptied by the threads that
    /// take them, so their rows are destroyed there).
    init(reader: BlockReader, spares: [[TripRow]] = []) {
        self.reader = reader
        self.spares = .allocate(capacity: spares.count)
        _ = self.spares.initialize(from: spares)
    }

    /// The first block of `reader`, read here and then scanned by as many threads as there are
    /// `memories` (each with its own).
    static func first(_ reader: BlockReader, chunkBytes: Int, memories: [UnsafeMutableBox<ScanMemory>]) -> ChunkScan {
        let scan = ChunkScan(reader: reader)
        scan.read(chunkBytes: chunkBytes)
        DispatchQueue.concurrentPerform(iterations: memories.count) { k in scan.scanChunks(memory: memories[k]) }
        return scan
    }

    /// Reads the next block (cut into chunks of about `chunkBytes`), sets up its chunk slots
    /// and marks it ready; a read error is kept for `take`.
    func read(chunkBytes: Int) {
        do throws(ReplayError) { publish(try reader.next(chunked: true, chunkBytes: chunkBytes)) } catch {
            failure = error
            publish(nil)
        }
    }

    private func publish(_ made: BlockReader.Block?) {
        block = made
        let count = made?.chunks.count ?? 0
        rows = .allocate(capacity: count)
        rows.initialize(repeating: [])
        lines = .allocate(capacity: count)
        lines.initialize(repeating: 0)
        ready.signal()
    }

    /// Waits until the block is read (for threads other than the reading one); any number of
    /// threads may wait.
    func waitUntilRead() {
        ready.wait()
        ready.signal()
    }

    /// Scans the chunks no thread has claimed yet. Chunk `k` takes `spares[k]` (emptied here,
    /// so its rows are destroyed on this thread) for its capacity. Call after the block is read.
    func scanChunks(memory: UnsafeMutableBox<ScanMemory>) {
        guard let block else { return }
        while true {
            let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard k < block.chunks.count else { return }
            var chunk = k < spares.count ? spares[k] : []
            if k < spares.count { spares[k] = [] }
            chunk.removeAll(keepingCapacity: true)
            lines[k] = reader.scan(chunk: k, of: block, into: &chunk, memory: &memory.value)
            rows[k] = chunk
        }
    }

    /// The block with its chunks' rows (line numbers counted from 0 at each chunk's start) and
    /// the lines each chunk spans, moved out of the slots; nil after the last block.
    func take() throws(ReplayError) -> (block: BlockReader.Block, rows: [[TripRow]], lines: [Int])? {
        if let failure { throw failure }
        guard let block else { return nil }
        self.block = nil  // the caller's alone, so that `BlockReader.recycle` can reuse its bytes
        var taken: [[TripRow]] = []
        taken.reserveCapacity(rows.count)
        for k in rows.indices {
            var chunk: [TripRow] = []
            swap(&chunk, &rows[k])
            taken.append(chunk)
        }
        return (block, taken, Array(lines))
    }

    deinit {
        rows.deinitialize()
        rows.deallocate()
        lines.deallocate()
        spares.deinitialize()
        spares.deallocate()
    }
}
