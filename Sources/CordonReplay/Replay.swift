#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
public import CordonCore
public import CordonEngine
import CordonFormats

/// Batch replay of trip logs through the engine: the directives, a redacted copy of every
/// input, a report and a map (docs/replay.md).
///
/// Owns its working state for one `run`; not thread-safe itself, it uses `options.threads`
/// workers internally (vehicles are split between them by a hash of their id, so each
/// vehicle's fixes are applied in input order by one worker and the output does not depend
/// on the thread count). The zone snapshot is shared read-only.
public final class Replay {
    public let zones: ZoneSnapshot
    public let zoneSet: ZoneSet?
    public let configuration: EngineConfiguration
    public let options: ReplayOptions
    /// The inputs (by position) whose second pass of the last `run` read the first pass's row
    /// log rather than the input's fields (for tests).
    private(set) var inputsRedactedFromLog: [Int] = []

    /// `zoneSet` supplies the geometry for the map (optional); `zones` is what the engine uses.
    public init(zones: ZoneSnapshot, zoneSet: ZoneSet? = nil, configuration: EngineConfiguration = EngineConfiguration(), options: ReplayOptions = ReplayOptions()) {
        self.zones = zones
        self.zoneSet = zoneSet
        self.configuration = configuration
        self.options = options
    }

    /// One input file as the passes see it.
    struct Input {
        let index: Int
        let path: String
        let format: TripFormat
        /// Bytes on disk (compressed for gzip), for progress.
        let diskBytes: Int64
    }

    /// Replays `inputs` (in the order given, as one stream) and writes the outputs into
    /// `directory` (created when missing). Returns the report that was written.
    public func run(inputs paths: [String], directory: String, progress: (@Sendable (ReplayProgress) -> Void)? = nil) throws(ReplayError)
        -> ReplayReport
    {
        guard !paths.isEmpty else { throw .usage("no trip files given") }
        var inputs: [Input] = []
        for (k, path) in paths.enumerated() {
            let source = try ByteSource(path: path)
            var head: [UInt8] = []
            _ = try source.read(into: &head, count: 4096)
            let format = options.format ?? TripFormat.fromName(path) ?? head.withUnsafeBufferPointer { TripFormat.sniff($0) }
            inputs.append(Input(index: k, path: path, format: format, diskBytes: source.diskBytes))
        }
        let writes = !options.parseOnly
        if writes {
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw .output(file: directory, message: String(cString: strerror(errno)))
            }
            let names = inputs.map { TripFormat.redactedName(of: $0.path) }
            if Set(names).count != names.count {
                throw .usage("two inputs would have the same redacted name in \(directory): \(names.joined(separator: ", "))")
            }
        }
        let totalBytes = inputs.reduce(Int64(0)) { $0 + $1.diskBytes }
        let meter = ProgressMeter(total: totalBytes * (writes ? 2 : 1), report: progress)

        // Pass 1: evaluate (in input order while every vehicle's fixes are in time order,
        // else sorted through bounded memory and disk).
        var evaluation = Evaluation(
            zones: zones, configuration: configuration, threads: max(1, options.threads), directory: directory,
            rejectedMemoryBytes: options.rejectedMemoryBytes)
        var issues = IssueLog(strict: options.strict)
        let clock = ContinuousClock()
        let started = clock.now
        var log: RowLog?
        let ordered = try evaluateInOrder(inputs, into: &evaluation, issues: &issues, log: &log, directory: directory, meter: meter)
        if !ordered {
            log = nil
            evaluation = Evaluation(
                zones: zones, configuration: configuration, threads: 1, directory: directory, rejectedMemoryBytes: options.rejectedMemoryBytes)
            issues = IssueLog(strict: options.strict)
            meter.restart(phase: "sort")
            try evaluateSorted(inputs, into: &evaluation, issues: &issues, directory: directory, meter: meter)
        }
        let vehicles = evaluation.finish()
        var report = ReplayReport(zones: zones, configuration: configuration, ordered: ordered)
        report.issues = issues
        let evaluated = clock.now
        report.evaluateSeconds = Self.seconds(evaluated - started)
        if options.parseOnly {
            // The floor: one parse of every input, nothing evaluated, classified or written.
            report.files = inputs.map { ReplayReport.FileCounts(file: $0.path, format: $0.format.rawValue, redacted: nil) }
            if !report.files.isEmpty { report.files[0].counts.rowsIn = meter.rows }
            return report
        }

        // Pass 2: classify every row, write the redacted copies, count, draw.
        let timelines = vehicles.mapValues { VehicleTimeline(events: $0.events, lastFix: $0.lastTime ?? 0) }
        let findings = evaluation.categoryFindings
        var map = TrackMap(bounds: evaluation.bounds, width: options.mapWidth)
        meter.phase("write")
        // Each redacted copy is committed when the next is written, the last with the other
        // outputs below: one copy at a time holds a descriptor and a buffer, whatever the
        // number of inputs.
        var uncommitted: AtomicFile?
        inputsRedactedFromLog = []
        for input in inputs {
            // Rows rejected before the engine (unusable) or by it (for their time): disjoint lists.
            let rejected = (evaluation.rejectedRows(of: input.index) + (issues.unusableRows[input.index] ?? [])).sorted()
            let copy: AtomicFile
            if let log, let section = log.sections[input.index], let source = try? ByteSource(path: input.path, mapped: true),
                let bytes = source.mapping, bytes.count == section.fileBytes
            {
                defer { source.close() }
                inputsRedactedFromLog.append(input.index)
                copy = try redact(
                    input, log: log, section: section, bytes: bytes, source: source, directory: directory, timelines: timelines,
                    rejected: rejected, report: &report, map: &map, meter: meter)
            } else {
                copy = try redact(input, directory: directory, timelines: timelines, rejected: rejected, report: &report, map: &map, meter: meter)
            }
            try uncommitted?.commit()
            uncommitted = copy
        }
        // The last redacted copy's commit (an fsync, and a rename that may free the blocks of
        // an earlier run's copy: tens of milliseconds the CPU only waits on) goes to a thread of
        // its own, so that the two threads of the three other jobs are not held by it: the
        // directives (about half of the CPU's time here), the map, the report; the first two
        // start, and whichever ends first takes the third.
        let reportBox = UnsafeMutableBox(report)
        let failures = (0..<4).map { _ in UnsafeMutableBox<ReplayError?>(nil) }
        let outputs = { (k: Int) in
            do throws(ReplayError) {
                switch k {
                case 0:
                    try uncommitted?.commit()
                case 1:
                    try self.writeDirectives(vehicles, stores: evaluation.directiveStores, directory: directory)
                case 2:
                    let svg = try AtomicFile(path: directory + "/map.svg")
                    try svg.write(map.svg(zoneSet: self.zoneSet))
                    try svg.commit()
                default:
                    reportBox.value.finish(vehicles: vehicles, timelines: timelines, findings: findings, zones: self.zones)
                    let order = naturalIDSorted(reportBox.value.vehicles.keys)
                    let json = try AtomicFile(path: directory + "/report.json")
                    try reportBox.value.json(vehicleOrder: order) { (piece: [UInt8]) throws(ReplayError) in try json.write(piece) }
                    try json.commit()
                    let text = try AtomicFile(path: directory + "/report.txt")
                    try reportBox.value.text(vehicleOrder: order) { (piece: [UInt8]) throws(ReplayError) in try text.write(piece) }
                    try text.commit()
                }
            } catch {
                failures[k].value = error
            }
        }
        if options.threads > 1 {
            let work = UnsafeSendable(outputs)
            let committing = DispatchGroup()
            // A queue of its own gets a thread of its own (the global queues' threads are the
            // cores', which `concurrentPerform` takes).
            DispatchQueue(label: "cordon.replay.commit").async(group: committing) { work.value(0) }
            DispatchQueue.concurrentPerform(iterations: 3) { k in work.value(k + 1) }
            committing.wait()
        } else {
            for k in 0..<4 { outputs(k) }
        }
        if let failure = failures.lazy.compactMap(\.value).first { throw failure }
        report = reportBox.value
        report.writeSeconds = Self.seconds(clock.now - evaluated)
        return report
    }

    /// Writes `directives.ndjson`: every directive, by vehicle (in natural id order) and sequence
    /// number, merged from the workers' line stores through sorted runs of bounded size.
    func writeDirectives(_ vehicles: [String: Evaluation.Finished], stores: [DirectiveStore], directory: String) throws(ReplayError) {
        let directives = try AtomicFile(path: directory + "/directives.ndjson")
        let ids = naturalIDSorted(vehicles.keys)
        var rankOf: [String: Int] = [:]
        rankOf.reserveCapacity(ids.count)
        for (r, id) in ids.enumerated() { rankOf[id] = r }
        let newline: [UInt8] = [10]
        try DirectiveStore.merged(
            stores, rank: { rankOf[$0] ?? ids.count }, directory: directory, memoryBytes: 2 * options.rejectedMemoryBytes
        ) { _, _, line throws(ReplayError) in
            try directives.write(line)
            try directives.write(newline)
        }
        try directives.commit()
    }

    // MARK: - Reading blocks

    /// Calls `body` with each block of whole rows of `input` (CSV header and GPX structure
    /// included in the bytes, rows located, in one array or, when two threads scanned its
    /// halves, two), in order. With `pipelined` (and more than one thread), the next block is
    /// read and scanned on another thread while `body` runs, for a `body` that itself uses one
    /// thread; blocks are then a quarter as long, so that the memory held stays that of one
    /// scan on two threads. With `positionsOnly`, CSV rows are read for their vehicle, time
    /// and position only (`CSVScanner.positionsOnly`).
    func forEachBlock(
        _ input: Input, meter: ProgressMeter, pipelined: Bool = false, positionsOnly: Bool = false,
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ rows: [[TripRow]], _ consumed: Int) throws(ReplayError) -> Void
    ) throws(ReplayError) {
        let overlap = pipelined && options.threads > 1
        // Overlapped, two blocks and a spare are in memory at once: each is a quarter as long.
        let reader = try BlockReader(
            input, options: options, meter: meter, blockBytes: overlap ? options.blockBytes / 4 : options.blockBytes,
            parallelScan: options.threads > 1 && !overlap, positionsOnly: positionsOnly)
        defer { reader.close() }
        var current = try reader.next()
        while var block = current {
            current = nil  // `block` holds the only reference: `recycle` reuses its storage in place
            if !overlap {
                try block.withBytes { b throws(ReplayError) in try body(b, [block.rows, block.extra], block.consumed) }
                reader.recycle(&block)
                current = try reader.next()
                continue
            }
            // The reader alone works on the other thread; `wait` orders its writes before the
            // reads here, and `body` only touches `block`, which the reader no longer holds.
            let next = UnsafeMutableBox<Result<BlockReader.Block?, ReplayError>>(.success(nil))
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                next.value = Result { () throws(ReplayError) in try reader.next() }
            }
            let outcome = Result { () throws(ReplayError) in
                try block.withBytes { b throws(ReplayError) in try body(b, [block.rows, block.extra], block.consumed) }
            }
            group.wait()
            try outcome.get()
            reader.recycle(&block)
            current = try next.value.get()
            next.value = .success(nil)
        }
    }

    /// Calls `body` with each block of whole rows of `input`, its rows in chunks (in order), for
    /// a `body` that itself uses one thread: while it runs, the next block is read on another
    /// thread, cut into chunks (about eight) at row ends, and scanned there chunk by chunk;
    /// when `body` is done, its thread takes the chunks not taken yet. So both cores scan, and
    /// the block after `body` is ready as soon as both are done: a pass whose `body` costs less
    /// than scanning runs at the pace of both threads, not of the scanning one. GPX (whose
    /// scanner carries a track from block to block) and one thread: `forEachBlock`, pipelined.
    func forEachChunkedBlock(
        _ input: Input, meter: ProgressMeter, positionsOnly: Bool,
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ chunks: [[TripRow]], _ consumed: Int) throws(ReplayError) -> Void
    ) throws(ReplayError) {
        guard options.threads > 1, input.format != .gpx else {
            try forEachBlock(input, meter: meter, pipelined: true, positionsOnly: positionsOnly, body)
            return
        }
        // Blocks a quarter as long, as pipelined `forEachBlock` reads them: two blocks and a
        // spare in memory.
        let reader = try BlockReader(
            input, options: options, meter: meter, blockBytes: options.blockBytes / 4, parallelScan: false, positionsOnly: positionsOnly)
        defer { reader.close() }
        // Row arrays of the last block, kept for their capacity (`ChunkScan(reader:spares:)`).
        var spares: [[TripRow]] = []
        func scanned(_ work: ChunkScan) throws(ReplayError) -> (BlockReader.Block, [[TripRow]])? {
            guard let (block, rows, lines) = try work.take() else { return nil }
            var numbered = rows
            reader.finish(&numbered, lines: lines)
            return (block, numbered)
        }
        // What each side's scans remember from chunk to chunk: [0] the reading side's, [1] the
        // side that runs `body`.
        let memories = [UnsafeMutableBox(ScanMemory(index: 0)), UnsafeMutableBox(ScanMemory(index: 1))]
        // About eight chunks a block (128 KiB with the default blocks). The first block: both
        // threads scan it.
        let chunkBytes = max(4096, options.blockBytes / 32)
        guard var (block, rows) = try scanned(ChunkScan.first(reader, chunkBytes: chunkBytes, memories: memories)) else { return }
        while true {
            // The chunks of the next block take the row arrays of the last for their capacity.
            let work = ChunkScan(reader: reader, spares: spares)
            spares = []
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                work.read(chunkBytes: chunkBytes)
                work.scanChunks(memory: memories[0])
            }
            let outcome = Result { () throws(ReplayError) in
                try block.withBytes { b throws(ReplayError) in try body(b, rows, block.consumed) }
            }
            work.waitUntilRead()
            if (try? outcome.get()) != nil { work.scanChunks(memory: memories[1]) }
            group.wait()
            try outcome.get()
            swap(&spares, &rows)  // emptied by the threads that take them
            reader.recycle(&block)
            guard let next = try scanned(work) else { return }
            (block, rows) = next
        }
    }

    // MARK: - Pass 1

    /// Evaluates the inputs in order; false (and nothing kept) as soon as a vehicle's fix is
    /// earlier than its previous one.
    /// A CSV or NDJSON input read in place on more than one thread leaves its rows in a
    /// section of `log` (made in `directory` at the first such input), for the second pass
    /// (`RowLog`).
    func evaluateInOrder(
        _ inputs: [Input], into evaluation: inout Evaluation, issues: inout IssueLog, log: inout RowLog?, directory: String,
        meter: ProgressMeter
    ) throws(ReplayError) -> Bool {
        var ordered = true
        for input in inputs where ordered {
            if evaluation.shards.count > 1 && input.format != .gpx && !options.parseOnly {
                ordered = try evaluatePipelined(input, into: evaluation, issues: &issues, log: &log, directory: directory, meter: meter)
                meter.finishFile()
                continue
            }
            var rowNumber = 0
            try forEachBlock(input, meter: meter) { _, chunks, _ throws(ReplayError) in
                for rows in chunks where ordered && !rows.isEmpty {
                    try issues.check(rows, file: input.path, input: input.index, firstRow: rowNumber)
                    meter.add(rows: rows.count)
                    if options.parseOnly { continue }
                    ordered = evaluation.apply(rows, file: input.index, firstRow: rowNumber)
                    rowNumber += rows.count
                }
            }
            meter.finishFile()
        }
        return ordered
    }

    /// Evaluates one CSV or NDJSON input in order on as many threads as `evaluation` has shards,
    /// as one pool of work per block: while the shards evaluate a block (shard k on thread k),
    /// the next block is read (by thread 0, before its shard) and scanned chunk by chunk, and the
    /// block's rows are checked for the issue log, each by whichever thread is free. A thread done
    /// with its shard takes the check, then chunks, so a step ends when its work does, not when
    /// the slower shard does, and no thread waits between the scan and the evaluation. Rows keep
    /// lines counted from their chunk's start (`IssueLog.check` adds the chunk's first line).
    /// False (and nothing kept) as soon as a vehicle's fix is earlier than its previous one.
    /// A mapped input's rows are logged in a section of `log` (made when nil) as they are
    /// checked, for the second pass.
    func evaluatePipelined(
        _ input: Input, into evaluation: Evaluation, issues: inout IssueLog, log: inout RowLog?, directory: String, meter: ProgressMeter
    ) throws(ReplayError) -> Bool {
        let threads = evaluation.shards.count
        let reader = try BlockReader(input, options: options, meter: meter, blockBytes: options.blockBytes, parallelScan: false)
        defer { reader.close() }
        var rowLog: RowLog?
        if let fileBytes = reader.mappedBytes, !options.parseOnly {
            if log == nil { log = RowLog(directory: directory) }
            log?.begin(input: input.index, fileBytes: fileBytes)
            rowLog = log
        }
        let chunkBytes = max(4096, options.blockBytes / 32)
        // What each thread's scans remember from chunk to chunk.
        let memories = (0..<threads).map { k in UnsafeMutableBox(ScanMemory(index: k)) }
        evaluation.forgetScanKeys()  // the keys of an earlier input's memories
        guard var current = try ChunkScan.first(reader, chunkBytes: chunkBytes, memories: memories).take() else {
            rowLog?.end(rescanner: reader.rescanner)
            return true
        }
        /// The step's check of the issue log: claimed by one thread.
        final class Check: @unchecked Sendable {
            let claimed = Atomic<Bool>(false)
            var issues: IssueLog
            var failure: ReplayError?
            init(_ issues: IssueLog) { self.issues = issues }
        }
        var rowNumber = 0
        // Row arrays of the last block, kept for their capacity (as in `forEachChunkedBlock`).
        var spares: [[TripRow]] = []
        while true {
            let lines = reader.advance(over: current.lines)
            let next = ChunkScan(reader: reader, spares: spares)
            spares = []
            // The log moves into the step and back (a copy would be copied again on write).
            let check = Check(IssueLog(strict: issues.strict))
            swap(&check.issues, &issues)
            let (rows, firstRow, origin) = (current.rows, rowNumber, current.block.origin)
            let work = UnsafeSendable { (k: Int) in
                if k == 0 { next.read(chunkBytes: chunkBytes) }
                evaluation.evaluate(shard: k, chunks: rows, file: input.index, firstRow: firstRow)
                if !check.claimed.exchange(true, ordering: .relaxed) {
                    var number = firstRow
                    do throws(ReplayError) {
                        for (c, chunk) in rows.enumerated() {
                            try check.issues.check(chunk, file: input.path, input: input.index, firstRow: number, lineOffset: lines[c])
                            rowLog?.append(chunk, origin: origin)
                            number += chunk.count
                        }
                    } catch {
                        check.failure = error
                    }
                }
                if k != 0 { next.waitUntilRead() }
                next.scanChunks(memory: memories[k])
            }
            DispatchQueue.concurrentPerform(iterations: threads) { k in work.value(k) }
            swap(&issues, &check.issues)
            if let failure = check.failure { throw failure }
            guard evaluation.isOrdered else { return false }
            let count = current.rows.reduce(0) { $0 + $1.count }
            meter.add(rows: count)
            rowNumber += count
            swap(&spares, &current.rows)  // emptied by the threads that take them
            reader.recycle(&current.block)
            guard let taken = try next.take() else {
                rowLog?.end(rescanner: reader.rescanner)
                return true
            }
            current = taken
        }
    }

    /// Evaluates the inputs sorted by vehicle and time (stable: equal times keep input order),
    /// spilling sorted runs to `directory` when they outgrow `options.sortMemoryBytes`.
    func evaluateSorted(_ inputs: [Input], into evaluation: inout Evaluation, issues: inout IssueLog, directory: String, meter: ProgressMeter) throws(ReplayError) {
        var sorter = try ExternalSorter(directory: directory, memoryBytes: options.sortMemoryBytes)
        for input in inputs {
            var rowNumber = 0
            try forEachBlock(input, meter: meter) { _, chunks, _ throws(ReplayError) in
                for rows in chunks {
                    try issues.check(rows, file: input.path, input: input.index, firstRow: rowNumber)
                    meter.add(rows: rows.count)
                    for (k, row) in rows.enumerated() where row.malformed == nil {
                        try sorter.add(SortRecord(row, file: input.index, row: rowNumber + k))
                    }
                    rowNumber += rows.count
                }
            }
            meter.finishFile()
        }
        try sorter.finish { record in evaluation.applySorted(record) }
    }

    // MARK: - Pass 2

    /// Writes the redacted copy of `input`, counts its rows into `report` and draws them on
    /// `map`, scanning the input again (its rows' vehicles, times and positions); returns the
    /// copy written but not committed (`Replay.run` commits it with the other outputs).
    func redact(
        _ input: Input, directory: String, timelines: [String: VehicleTimeline], rejected: [Int],
        report: inout ReplayReport, map: inout TrackMap, meter: ProgressMeter
    ) throws(ReplayError) -> AtomicFile {
        let name = TripFormat.redactedName(of: input.path)
        let out = try AtomicFile(path: directory + "/" + name)
        var classifier = RowClassifier(file: input, redacted: name, rejected: rejected)
        var copy = RedactedCopy(out)
        // This loop runs on one thread: the next block is read and scanned meanwhile, its rows'
        // positions only (whether a row is usable, and so its other fields, the first pass said).
        try forEachChunkedBlock(input, meter: meter, positionsOnly: true) { b, chunks, consumed throws(ReplayError) in
            var cursor = 0
            // Fields read in place: a row copied out of the array costs its retains and releases.
            for chunk in chunks {
                try chunk.withUnsafeBufferPointer { rows throws(ReplayError) in
                for r in rows.indices {
                    let slot =
                        rows[r].vehicle.isEmpty
                        ? nil
                        : classifier.tally.slot(of: rows[r].vehicle, hash: rows[r].vehicleHash, key: rows[r].idKey, timelines: timelines)
                    let decision = classifier.classify(
                        slot: slot, time: rows[r].time, lat: rows[r].lat, lon: rows[r].lon, vehicle: rows[r].vehicle, map: &map)
                    try copy.put(decision, row: rows[r].start..<rows[r].end, of: b, cursor: &cursor) { () throws(ReplayError) in (rows[r], b) }
                }
                }
            }
            try out.write(UnsafeBufferPointer(rebasing: b[cursor..<consumed]))
        }
        meter.finishFile()
        classifier.tally.merge(into: &report)
        return out
    }

    /// `redact` for an input whose rows the first pass logged (`RowLog`): the rows come from
    /// the log, their bytes from `bytes` (the input mapped, `source`), and nothing is scanned
    /// but a coarsened row, on its own. The same decisions, counts, map and bytes. Two stages,
    /// one batch apart: the thread that reads a batch of the log also classifies its rows
    /// (counting and drawing them, in order), while this thread writes the batch before.
    func redact(
        _ input: Input, log: RowLog, section: RowLog.Section, bytes: UnsafeBufferPointer<UInt8>, source: ByteSource, directory: String,
        timelines: [String: VehicleTimeline], rejected: [Int], report: inout ReplayReport, map: inout TrackMap, meter: ProgressMeter
    ) throws(ReplayError) -> AtomicFile {
        let name = TripFormat.redactedName(of: input.path)
        let out = try AtomicFile(path: directory + "/" + name)
        // Classified by the thread that reads the log, a batch ahead: the stages take turns.
        let classifier = UnsafeMutableBox(RowClassifier(file: input, redacted: name, rejected: rejected))
        // The tally's slots are the log's, in the same order (first named first).
        let ids = section.ids
        for id in ids { _ = classifier.value.tally.slot(of: id, timelines: timelines) }
        var copy = RedactedCopy(out)
        var rescanMemory = ScanMemory()
        var rescanned: [TripRow] = []
        var cursor = 0
        try withUnsafeMutablePointer(to: &map) { map throws(ReplayError) in
            let shared = UnsafeSendable((classifier, log, ids, map))
            try log.forEachBatch(of: section, file: input.path) { k, records in
                // (Not the batch's stretch of the file mapped in here as well: `MADV_POPULATE_READ`
                // made this stage the slower one; the copying stage's page faults, 64 KiB at a
                // time, cost it less than it waited.)
                let (classifier, log, ids, map) = shared.value
                let decided = log.decisions(for: k)
                for r in records.indices {
                    let record = records[r]
                    (decided + r).initialize(
                        to: classifier.value.classify(
                            slot: record.slot < 0 ? nil : Int(record.slot), time: record.time, lat: record.lat, lon: record.lon,
                            vehicle: ids[Int(max(0, record.slot))], map: &map.pointee))
                }
            } _: { k, records throws(ReplayError) in
                let decided = log.decisions(for: k)
                for r in records.indices {
                    let start = Int(records[r].start), end = start + Int(records[r].length)
                    // A coarsened row's fields are found by scanning it again, alone.
                    try copy.put(decided[r], row: start..<end, of: bytes, cursor: &cursor) { () throws(ReplayError) in
                        let text = UnsafeBufferPointer(rebasing: bytes[start..<end])
                        guard let row = section.rescanner?.row(text, memory: &rescanMemory, rows: &rescanned) else {
                            throw .input(file: input.path, message: "the row at byte \(start) changed since the first pass read it")
                        }
                        return (row, text)
                    }
                }
                source.discard(upTo: cursor)  // copied out: the pages before it are not read again
                meter.set(done: Int64(cursor))
            }
        }
        try out.write(UnsafeBufferPointer(rebasing: bytes[cursor...]))
        meter.set(done: Int64(bytes.count))
        meter.finishFile()
        classifier.value.tally.merge(into: &report)
        return out
    }
}

/// The redacted copy of one input as the second pass writes it, whichever way it reads the
/// rows (`Replay.redact`): the bytes up to each row that is not kept as it is, then what
/// replaces the row (nothing, or the row coarsened); a kept row goes out with the bytes around
/// it. A value owned by one pass over one input.
struct RedactedCopy {
    let out: AtomicFile
    private var scratch: [UInt8] = []

    init(_ out: AtomicFile) { self.out = out }

    /// For a row at `row` in `b` with `decision`: writes `b[cursor..<row.lowerBound]` and the
    /// row's replacement, and moves `cursor` past the row; nothing for a kept row. `scanned`
    /// gives a coarsened row's fields and the bytes their offsets count from.
    @inline(__always)
    mutating func put(
        _ decision: Decision, row: Range<Int>, of b: UnsafeBufferPointer<UInt8>, cursor: inout Int,
        scanned: () throws(ReplayError) -> (TripRow, UnsafeBufferPointer<UInt8>)
    ) throws(ReplayError) {
        switch decision {
        case .keep:
            return
        case .coarsen(let m):
            try out.write(UnsafeBufferPointer(rebasing: b[cursor..<row.lowerBound]))
            let (fields, text) = try scanned()
            Coarsen.rewrite(fields, meters: m, in: text, into: &scratch)
            try out.write(scratch)
        case .drop, .localOnly, .reject:
            try out.write(UnsafeBufferPointer(rebasing: b[cursor..<row.lowerBound]))
        }
        cursor = row.upperBound
    }
}

/// The second pass's decision for each row of one input, in input order, counted in its
/// tally and drawn on the map: what both ways of reading the rows (`Replay.redact`) share.
/// A noncopyable value owned by one pass over one input.
struct RowClassifier: ~Copyable {
    var tally: ReplayReport.Tally
    private let rejected: [Int]
    private var nextRejected = 0
    private var row = 0
    /// The map's track of each tally slot (−1: none yet).
    private var trackOfSlot: [Int] = []

    /// `rejected`: the ascending numbers of the input's rows refused before or by the engine.
    init(file input: Replay.Input, redacted name: String, rejected: [Int]) {
        tally = ReplayReport.Tally(file: ReplayReport.FileCounts(file: input.path, format: input.format.rawValue, redacted: name))
        self.rejected = rejected
    }

    /// The decision for the next row (its vehicle's tally slot, nil for a row without a
    /// vehicle id; its time and position, read only for a row that is not rejected), counted
    /// and drawn.
    @inline(__always)
    mutating func classify(
        slot: Int?, time: Int64, lat: Double, lon: Double, vehicle: @autoclosure () -> String, map: inout TrackMap
    ) -> Decision {
        defer { row += 1 }
        var decision = Decision.keep
        var categoryMask: UInt8 = 0
        if Replay.advance(&nextRejected, in: rejected, to: row) {
            decision = .reject
        } else if let slot {
            let (action, mask) = tally.action(slot: slot, at: time)
            categoryMask = mask
            switch action {
            case .none: decision = .keep
            case .drop: decision = .drop
            case .localOnly: decision = .localOnly
            case .coarsen(let m): decision = .coarsen(m)
            }
        }
        tally.count(slot: slot, decision: decision, categories: categoryMask)
        if decision != .reject, let slot {
            while trackOfSlot.count <= slot { trackOfSlot.append(-1) }
            if trackOfSlot[slot] < 0 { trackOfSlot[slot] = map.track(of: vehicle()) }
            map.add(lat: lat, lon: lon, track: trackOfSlot[slot], decision: decision)
        }
        return decision
    }
}

extension Replay {
    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    /// Moves `cursor` in the ascending `list` up to `value`; true when `value` is in it.
    static func advance(_ cursor: inout Int, in list: [Int], to value: Int) -> Bool {
        while cursor < list.count && list[cursor] < value { cursor += 1 }
        return cursor < list.count && list[cursor] == value
    }
}

/// What becomes of one input row in the redacted copy.
enum Decision: Equatable {
    case keep, drop, localOnly, reject
    case coarsen(Double)

    /// A number per kind, for counting in arrays: keep 0, coarsen 1, drop 2, local-only 3,
    /// reject 4 (`ReplayReport.RowCounts(byDecision:)`).
    var code: Int {
        switch self {
        case .keep: 0
        case .coarsen: 1
        case .drop: 2
        case .localOnly: 3
        case .reject: 4
        }
    }
}

/// A value handed to the workers of one `concurrentPerform` call that only read it.
/// `@unchecked Sendable`: the caller guarantees that nobody writes it meanwhile.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A mutable value shared with other threads that take turns with it (each worker of a
/// `concurrentPerform` call touching only its own box, or stages that a wait orders).
/// `@unchecked Sendable`: the caller guarantees that no two threads touch it at once.
final class UnsafeMutableBox<Value: ~Copyable>: @unchecked Sendable {
    var value: Value
    init(_ value: consuming Value) { self.value = value }
}
