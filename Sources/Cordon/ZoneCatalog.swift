import Crypto
import Synchronization
import Dispatch
import Foundation
import CordonCore
import CordonFormats
import CordonGEOS
public import CordonStore

/// The zone import pipeline: read files → format checks → GEOS validity (or repair) → area
/// limit → duplicate ids → approach buffers → one store transaction.
///
/// A value type holding a `ZoneStore` reference; `Sendable`. `prepare` does no I/O beyond
/// reading the files and is safe to call from any thread: GEOS work runs on `workers` threads,
/// each with its own `GEOSContext`, never shared.
public struct ZoneCatalog: Sendable {
    public let store: ZoneStore

    public init(store: ZoneStore) { self.store = store }

    /// Parses, validates and buffers `files`, stores them as a new version of `setName` unless
    /// an error forbids it (any error, or with `skipInvalid` no valid zone at all), and returns
    /// the report, with `stored` set when a version was written.
    public func importZones(
        files: [String], setName: String, activate: Bool, actor: String, options: ImportOptions,
        afterEachZone: ((Int) -> Void)? = nil
    ) throws(StoreError) -> ImportReport {
        try store(
            Self.prepare(files: files, options: options), setName: setName, activate: activate, actor: actor,
            options: options, afterEachZone: afterEachZone)
    }

    /// The same for in-memory sources (name, bytes), e.g. an HTTP body.
    public func importZones(
        sources: [(name: String, bytes: [UInt8])], setName: String, activate: Bool, actor: String, options: ImportOptions
    ) throws(StoreError) -> ImportReport {
        try store(Self.prepare(sources: sources, options: options), setName: setName, activate: activate, actor: actor, options: options)
    }

    private func store(
        _ prepared: ImportReport, setName: String, activate: Bool, actor: String, options: ImportOptions,
        afterEachZone: ((Int) -> Void)? = nil
    ) throws(StoreError) -> ImportReport {
        var report = prepared
        guard Self.mayStore(report, options: options) else { return report }
        report.stored = try store.createVersion(
            setName: setName, entries: report.entries,
            source: report.files.map { ($0 as NSString).lastPathComponent }.joined(separator: ","),
            checksum: report.checksum, actor: actor, activate: activate, afterEachZone: afterEachZone)
        return report
    }

    /// True when a prepared report may be stored under `options`.
    public static func mayStore(_ report: ImportReport, options: ImportOptions) -> Bool {
        guard !report.entries.isEmpty else { return false }
        return options.skipInvalid || !report.hasErrors
    }

    /// Reads and validates files without storing them.
    public static func prepare(files: [String], options: ImportOptions) -> ImportReport {
        var sources: [(name: String, bytes: [UInt8])] = []
        var failures: [Diagnostic] = []
        for file in files {
            do throws(FormatError) {
                sources.append((file, try readFileBytes(file, limit: options.read.maximumFileBytes)))
            } catch {
                failures.append(error.diagnostic)
            }
        }
        var report = prepare(sources: sources, options: options)
        report.files = files
        report.diagnostics = failures + report.diagnostics
        return report
    }

    /// Validates in-memory sources (name, bytes), e.g. an HTTP body.
    public static func prepare(sources: [(name: String, bytes: [UInt8])], options: ImportOptions) -> ImportReport {
        var readOptions = options.read
        readOptions.repair = options.repair || readOptions.repair
        var diagnostics: [Diagnostic] = []
        var readZones: [ReadZone] = []
        var featureCount = 0
        var hasher = SHA256()
        for (source, raw) in sources {
            hasher.update(data: raw)
            guard raw.count <= readOptions.maximumFileBytes else {
                diagnostics.append(FormatError.tooLarge(file: source, bytes: raw.count, limit: readOptions.maximumFileBytes).diagnostic)
                continue
            }
            // gzip and KMZ: read what they hold (the limit applies to that too).
            var (bytes, formatName, name) = (raw, source, source)
            if ZoneFileContainer.isContainer(raw) {
                do throws(FormatError) {
                    (bytes, formatName, name) = try ZoneFileContainer.open(raw, name: source, limit: readOptions.maximumFileBytes)
                } catch {
                    diagnostics.append(error.diagnostic)
                    continue
                }
            }
            guard let format = options.format ?? ZoneFileFormat.detect(path: formatName, bytes: bytes) else {
                diagnostics.append(Diagnostic(.error, "empty_file", "the file is empty", file: name))
                continue
            }
            do throws(FormatError) {
                let result: ZoneFileReadResult
                switch format {
                case .geojson: result = try GeoJSONReader(options: readOptions).read(bytes, file: name)
                case .kml: result = try KMLReader(options: readOptions).read(bytes, file: name)
                case .wkt: result = try WKTReader(options: readOptions).read(bytes, file: name)
                }
                diagnostics.append(contentsOf: result.diagnostics)
                readZones.append(contentsOf: result.zones)
                featureCount += result.featureCount
            } catch {
                diagnostics.append(error.diagnostic)
            }
        }
        let checksum = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()

        // Duplicate ids across everything read, reported on each later occurrence.
        var firstSeen: [String: ReadZone] = [:]
        var unique: [ReadZone] = []
        for rz in readZones {
            if let first = firstSeen[rz.zone.id] {
                diagnostics.append(
                    Diagnostic(
                        .error, "duplicate_id",
                        "duplicate id \"\(rz.zone.id)\" (first used by feature \(first.featureIndex) of \(first.file))",
                        file: rz.file, featureIndex: rz.featureIndex, featureID: rz.zone.id))
            } else {
                firstSeen[rz.zone.id] = rz
                unique.append(rz)
            }
        }

        let outcomes = validateAndBuffer(unique, options: options)
        var entries: [ZoneSet.Entry] = []
        for outcome in outcomes {
            diagnostics.append(contentsOf: outcome.diagnostics)
            if let entry = outcome.entry { entries.append(entry) }
        }
        // Keep the report in file order, then feature order.
        let order = Dictionary(sources.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        diagnostics = diagnostics.enumerated().sorted { a, b in
            let fa = order[a.element.file] ?? -1, fb = order[b.element.file] ?? -1
            if fa != fb { return fa < fb }
            let ia = a.element.featureIndex ?? -1, ib = b.element.featureIndex ?? -1
            if ia != ib { return ia < ib }
            return a.offset < b.offset
        }.map(\.element)
        return ImportReport(
            files: sources.map(\.name), diagnostics: diagnostics, featureCount: featureCount, entries: entries,
            checksum: checksum, stored: nil)
    }

    // MARK: - GEOS stage

    struct Outcome: Sendable {
        var entry: ZoneSet.Entry?
        var diagnostics: [Diagnostic] = []
    }

    /// Runs GEOS validation, repair, area check and buffering for every zone, on `workers`
    /// threads, keeping input order in the result.
    static func validateAndBuffer(_ zones: [ReadZone], options: ImportOptions) -> [Outcome] {
        let n = zones.count
        guard n > 0 else { return [] }
        let workers = max(1, min(options.workers > 0 ? options.workers : ProcessInfo.processInfo.activeProcessorCount, n))
        let slots = OutcomeSlots(count: n)
        defer { slots.deallocate() }
        // Largest zones first, handed out one at a time, so no worker is left with the tail.
        let order = (0..<n).sorted { zones[$0].zone.geometry.vertexCount > zones[$1].zone.geometry.vertexCount }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let context: GEOSContext?
            var failure: GEOSError?
            do throws(GEOSError) { context = try GEOSContext() } catch { context = nil; failure = error }
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < n else { return }
                let i = order[k]
                if let context {
                    slots[i] = process(zones[i], context: context, options: options)
                } else {
                    let message = failure?.description ?? "GEOS unavailable"
                    slots[i] = Outcome(entry: nil, diagnostics: [diagnostic(zones[i], .error, "geos", message)])
                }
            }
        }
        return (0..<n).map { slots[$0] }
    }

    static func diagnostic(_ rz: ReadZone, _ severity: Diagnostic.Severity, _ code: String, _ message: String) -> Diagnostic {
        Diagnostic(severity, code, message, file: rz.file, featureIndex: rz.featureIndex, featureID: rz.zone.id)
    }

    static func process(_ rz: ReadZone, context: GEOSContext, options: ImportOptions) -> Outcome {
        var zone = rz.zone
        var outcome = Outcome()
        do throws(GEOSError) {
            if let problem = try context.validityProblem(zone.geometry) {
                guard options.repair else {
                    outcome.diagnostics.append(diagnostic(rz, .error, problem.code, problem.message + " (import with --repair to fix it with GEOS MakeValid)"))
                    return outcome
                }
                let repaired = try context.repair(zone.geometry)
                guard !repaired.geometry.isEmpty else {
                    outcome.diagnostics.append(diagnostic(rz, .error, "repair_empty", "\(problem.message); repair left no area"))
                    return outcome
                }
                if let still = try context.validityProblem(repaired.geometry) {
                    outcome.diagnostics.append(diagnostic(rz, .error, still.code, "\(problem.message); still invalid after repair: \(still.message)"))
                    return outcome
                }
                outcome.diagnostics.append(diagnostic(rz, .warning, "repaired", "\(problem.message); repaired: \(repaired.summary)"))
                zone.geometry = repaired.geometry
            }
            let areaKm2 = sphericalArea(zone.geometry) / 1e6
            guard areaKm2 <= options.maximumAreaSquareKilometres else {
                outcome.diagnostics.append(
                    diagnostic(rz, .error, "too_large_area",
                               "zone area \(Int(areaKm2.rounded())) km² is over the limit of \(Int(options.maximumAreaSquareKilometres)) km²"))
                return outcome
            }
            guard areaKm2 > 0 else {
                outcome.diagnostics.append(diagnostic(rz, .error, "empty_geometry", "zone has zero area"))
                return outcome
            }
            let approach =
                options.approachBuffers ? try context.approach(of: zone.geometry, meters: zone.bufferMeters) : zone.geometry
            outcome.entry = ZoneSet.Entry(zone: zone, approach: approach)
        } catch {
            outcome.diagnostics.append(diagnostic(rz, .error, "geos", error.description))
        }
        return outcome
    }
}

/// Result slots written by disjoint indices from concurrent workers.
///
/// `@unchecked Sendable` is safe because each index is written by exactly one worker (the
/// atomic counter hands out every position of `order`, a permutation of 0..<n, once) and read
/// only after `concurrentPerform` has returned, which orders the writes before the reads.
private final class OutcomeSlots: @unchecked Sendable {
    private let base: UnsafeMutablePointer<ZoneCatalog.Outcome>
    private let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: ZoneCatalog.Outcome(), count: count)
    }

    subscript(i: Int) -> ZoneCatalog.Outcome {
        get { base[i] }
        set { base[i] = newValue }
    }

    func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
