import Dispatch

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
        var rows: [TripRow]
        /// The second half's rows when the block was scanned in halves on two threads (after
        /// `rows`; kept apart rather than appended, which copied every row on one thread).
        var extra: [TripRow] = []
        var consumed: Int
        /// Read by `next(chunked: true)`: the byte ranges of its rows in order, each scanned
        /// by `scan(chunk:of:)` (`rows` is then empty).
        var chunks: [Range<Int>] = []
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
        source = try ByteSource(path: input.path)
        gpx = GPXScanner(file: input.path)
        ndjson = NDJSONScanner(file: input.path, names: options.columns)
        want = self.blockBytes
        buffer.reserveCapacity(self.blockBytes + self.blockBytes / 8)
    }

    func close() { source.close() }

    /// Takes a block's storage back for later blocks (reused in place when `block` holds the
    /// only reference to it, as `Replay.forEachBlock` makes sure). The rows are not destroyed
    /// here but by the scan that fills the arrays again.
    func recycle(_ block: inout Block) {
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
        while !atEnd {
            let n = try source.read(into: &buffer, count: want)
            atEnd = n == 0
            meter.set(done: source.diskOffset)
            var rows = spareRows.popLast() ?? [], extra = spareRows.popLast() ?? []
            var consumed = 0
            var chunks: [Range<Int>] = []
            let complete = try buffer.withUnsafeBufferPointer { b throws(ReplayError) in
                try scan(b, into: &rows, &extra, consumed: &consumed, chunks: chunked ? max(1, chunkBytes) : nil, ranges: &chunks)
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
            return Block(bytes: bytes, rows: rows, extra: extra, consumed: consumed, chunks: chunks)
        }
        return nil
    }

    /// The rows of chunk `k` of `block` (from `next(chunked: true)`), with line numbers counted
    /// from 0 at the chunk's start, and the lines it spans. Reads only the scanners' settings:
    /// different chunks may be scanned on different threads at once, each with its own `memory`.
    func scan(chunk k: Int, of block: Block, into rows: inout [TripRow], memory: inout ScanMemory) -> Int {
        let range = block.chunks[k]
        return block.bytes.withUnsafeBufferPointer { b in
            if let csv { return csv.scan(b, range, firstLine: 0, into: &rows, memory: &memory) }
            return ndjson.scan(b, range, firstLine: 0, into: &rows, memory: &memory)
        }
    }

    /// Numbers the rows of a chunked block's scanned chunks (`rows[k]`, spanning `lines[k]`
    /// lines) from the reader's line, and moves the reader past them.
    func finish(_ rows: inout [[TripRow]], lines: [Int]) {
        for k in rows.indices {
            let offset = line
            rows[k].withUnsafeMutableBufferPointer { chunk in
                for r in chunk.indices { chunk[r].line += offset }
            }
            line += lines[k]
        }
    }

    /// Scans the whole rows at the start of `b` into `rows` (and, when two threads scan
    /// halves, the second half's into `extra`), emptying both first; false when there is no
    /// block yet (the CSV header is not complete). With `chunks`, CSV and NDJSON rows are not
    /// scanned but their bytes cut into `ranges` of about that many bytes, at row boundaries.
    private func scan(
        _ b: UnsafeBufferPointer<UInt8>, into rows: inout [TripRow], _ extra: inout [TripRow], consumed: inout Int, chunks: Int?,
        ranges: inout [Range<Int>]
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
                // Cut after the first row end at or past each multiple of `chunks`.
                var from = start
                let end = start + length
                while from < end {
                    var to = min(end, from + chunks)
                    if to < end {
                        to = input.format == .csv ? CSVScanner.rowEnd(b, after: to, from: from, to: end) : (Bytes.lineEnd(b, from: to).map { min($0 + 1, end) } ?? end)
                    }
                    ranges.append(from..<to)
                    from = to
                }
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
