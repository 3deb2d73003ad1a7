import Cordon
public import CordonEngine
public import CordonStore
import Dispatch
import Synchronization

/// The served zone set and the fleet engine evaluating against it, plus every zone-set change
/// the service makes: activation and rollback through the admin API, and activations made
/// elsewhere (the CLI) picked up by polling.
///
/// `Sendable`. Changes run one at a time on a private serial queue, so the store's active
/// version and the engine's snapshot move in the same order; each builds the new index off to
/// the side while evaluation continues on the old snapshot, then swaps it atomically
/// (`FleetEngine.activate`). Evaluations never see a half-built index and a batch is never
/// computed on two versions. The service owns the engine; vehicle states survive swaps.
public final class ZoneService: Sendable {
    public let store: ZoneStore
    /// The set vehicles are evaluated against.
    public let setName: String
    let metrics: ServerMetrics
    private let configuration: EngineConfiguration
    private let engine = Mutex<FleetEngine?>(nil)
    /// The last snapshots built (current and previous), so a rollback swaps without a rebuild.
    private let built = Mutex<[ZoneSnapshot]>([])
    private let changes = DispatchQueue(label: "cordon.zone-changes")

    /// Chooses the served set (the configured one, else the store's only set, else `default`)
    /// and loads its active version, if any.
    init(store: ZoneStore, configuration: ServerConfiguration, metrics: ServerMetrics) throws(ServerError) {
        self.store = store
        self.metrics = metrics
        self.configuration = configuration.engine
        if let name = configuration.setName {
            setName = name
        } else {
            let sets: [ZoneSetSummary]
            do { sets = try store.sets() } catch { throw .startup(error.description) }
            switch sets.count {
            case 0: setName = "default"
            case 1: setName = sets[0].name
            default:
                throw .startup(
                    "the database has several zone sets (\(sets.map(\.name).joined(separator: ", "))); choose one with --set or CORDON_SET")
            }
        }
        do { try syncWithStore() } catch { throw .startup(error.description) }
    }

    /// The engine, once the served set has an active version.
    public var fleet: FleetEngine? { engine.withLock { $0 } }

    /// The snapshot new evaluations use, if any.
    public var snapshot: ZoneSnapshot? { fleet?.zones }

    // MARK: - Changes

    /// Makes `version` of `set` active; when it is the served set, builds its index first and
    /// swaps it in before returning.
    func activate(set: String, version: Int, actor: String) async throws(StoreError) -> ZoneSetVersionInfo {
        try await serially { () throws(StoreError) -> ZoneSetVersionInfo in
            guard set == self.setName else { return try self.store.activate(setName: set, version: version, actor: actor) }
            let snapshot = try self.snapshot(version: version)
            let info = try self.store.activate(setName: set, version: version, actor: actor)
            self.swap(to: snapshot)
            return info
        }
    }

    /// Rolls `set` back to its previous activation; swaps the engine when it is the served set.
    func rollback(set: String, actor: String) async throws(StoreError) -> ZoneSetVersionInfo {
        try await serially { () throws(StoreError) -> ZoneSetVersionInfo in
            let info = try self.store.rollback(setName: set, actor: actor)
            if set == self.setName { self.swap(to: try self.snapshot(version: info.version)) }
            return info
        }
    }

    /// Picks up an activation made outside this service (polled by `ZoneWatchService`).
    func refresh() async throws(StoreError) {
        try await serially { () throws(StoreError) in try self.syncWithStore() }
    }

    /// Loads the served set's active version when the engine does not already run it.
    private func syncWithStore() throws(StoreError) {
        guard let active = try store.activeVersion(setName: setName) else { return }
        if let current = fleet?.zones, current.version == active { return }
        swap(to: try snapshot(version: active))
    }

    private func snapshot(version: Int) throws(StoreError) -> ZoneSnapshot {
        if let cached = built.withLock({ $0.first { $0.version == version } }) { return cached }
        let set = try store.zoneSet(setName: setName, version: version)
        let start = DispatchTime.now().uptimeNanoseconds
        let snapshot = ZoneSnapshot(set)
        metrics.indexBuildSeconds.record(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return snapshot
    }

    private func swap(to snapshot: ZoneSnapshot) {
        engine.withLock { engine in
            if let engine {
                engine.activate(snapshot)
            } else {
                engine = FleetEngine(zones: snapshot, configuration: configuration)
            }
        }
        built.withLock { list in
            list.removeAll { $0.version == snapshot.version }
            list.insert(snapshot, at: 0)
            if list.count > 2 { list.removeLast(list.count - 2) }
        }
        metrics.recordActiveVersion(set: snapshot.setName, version: snapshot.version)
    }

    /// Runs `body` on the serial change queue (off the request threads) and awaits it.
    private func serially<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
        try await onQueue(changes, body)
    }
}

/// Runs `body` on `queue` and awaits it: blocking work (SQLite, an index build) on a Dispatch
/// queue's thread, not on one of the few cooperative threads that run the request handlers.
func onQueue<T: Sendable>(
    _ queue: DispatchQueue, _ body: @escaping @Sendable () throws(StoreError) -> T
) async throws(StoreError) -> T {
    let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
        queue.async {
            do throws(StoreError) { continuation.resume(returning: .success(try body())) } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}
