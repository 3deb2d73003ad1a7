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
    private let maximumVehicles: Int
    /// Seconds after its last fix that a vehicle leaves memory (0: never).
    let evictAfter: Double
    /// Set once some vehicle's state is in the store but not in memory (evicted, or not
    /// restored at start-up for being idle): from then on, fixes of vehicles the engine does not
    /// know look for a stored state first.
    private let storedOnly = Atomic<Bool>(false)
    private let engine = Mutex<FleetEngine?>(nil)
    /// The last snapshots built (current and previous), so a rollback swaps without a rebuild.
    private let built = Mutex<[ZoneSnapshot]>([])
    private let changes = DispatchQueue(label: "cordon.zone-changes")
    /// What the restore of saved vehicle states found when the engine was created.
    private let restore = Mutex(VehicleStateRestore())

    /// Chooses the served set (the configured one, else the store's only set, else `default`)
    /// and loads its active version, if any.
    init(store: ZoneStore, configuration: ServerConfiguration, metrics: ServerMetrics) throws(ServerError) {
        self.store = store
        self.metrics = metrics
        self.configuration = configuration.engine
        self.maximumVehicles = configuration.maximumVehicles
        self.evictAfter = configuration.evictAfter
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
        // The index the CLI cached beside the database at activation, when it is there.
        let index = store.path.hasPrefix(":") ? ZoneIndex.Builder().build(set) : ZoneIndexCache(database: store.path).index(for: set).index
        let snapshot = ZoneSnapshot(set, index: index)
        metrics.indexBuildSeconds.record(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return snapshot
    }

    private func swap(to snapshot: ZoneSnapshot) {
        // Swaps run one at a time (on the change queue, or in `init`), so the engine cannot
        // appear between this read and the write below. A new engine gets the saved vehicle
        // states before it is published: no request can create a state the restore would
        // then overwrite.
        if let running = fleet {
            running.activate(snapshot)
        } else {
            let made = FleetEngine(zones: snapshot, configuration: configuration, maximumVehicles: maximumVehicles)
            restoreVehicleStates(into: made)
            engine.withLock { $0 = made }
        }
        built.withLock { list in
            list.removeAll { $0.version == snapshot.version }
            list.insert(snapshot, at: 0)
            if list.count > 2 { list.removeLast(list.count - 2) }
        }
        metrics.recordActiveVersion(set: snapshot.setName, version: snapshot.version)
    }

    // MARK: - Vehicle states across restarts

    /// What the restore at the engine's creation found: states restored, stored rows that could
    /// not be read (skipped), and a failure to read the store.
    public var restoredVehicleStates: VehicleStateRestore { restore.withLock { $0 } }

    /// Restores the vehicle states saved for the served set into the engine just created: the
    /// last shutdown's save, brought up to date by the states written beside each batch of
    /// directives since (so after a crash too, each vehicle resumes from its last logged
    /// directive).
    private func restoreVehicleStates(into engine: FleetEngine) {
        var outcome = VehicleStateRestore()
        do {
            var saved: [VehicleState.Saved] = []
            let rows = try store.vehicleStates(setName: setName)
            let cutoff = idleCutoff(now: ZoneStore.now())
            for state in Self.decode(rows, unreadable: &outcome.unreadable) {
                // Idle vehicles stay in the store until they send a fix.
                if let cutoff, state.lastTime.map({ $0 < cutoff }) ?? true {
                    outcome.idle += 1
                } else {
                    saved.append(state)
                }
            }
            if outcome.idle > 0 { storedOnly.store(true, ordering: .sequentiallyConsistent) }
            engine.restore(saved)
            outcome.restored = saved.count
        } catch {
            outcome.failure = error.description
        }
        restore.withLock { $0 = outcome }
    }

    /// The stored states that parse and name their own vehicle; the others go to `unreadable`.
    static func decode(_ rows: [(vehicleID: String, body: String)], unreadable: inout [String]) -> [VehicleState.Saved] {
        var out: [VehicleState.Saved] = []
        for row in rows {
            if let json = try? JSONParser().parse(Array(row.body.utf8), file: "vehicle_state"),
                let state = VehicleState.Saved(json: json), state.vehicleID == row.vehicleID
            {
                out.append(state)
            } else {
                unreadable.append(row.vehicleID)
            }
        }
        return out
    }

    /// Saves every vehicle's state in memory for the served set, each replacing its saved one
    /// (at shutdown, after the last request); the states of evicted vehicles stay. Without an
    /// engine (no version was ever active in this run) nothing is written, so an earlier run's
    /// save stays. Returns the number saved.
    func saveVehicleStates() throws(StoreError) -> Int {
        guard let fleet else { return 0 }
        let writer = JSONWriter()
        let states = fleet.savedStates().map { (vehicleID: $0.vehicleID, body: writer.string($0.json)) }
        try store.upsertVehicleStates(setName: setName, states, savedAt: ZoneStore.now())
        return states.count
    }

    // MARK: - Eviction

    /// Drops from memory the vehicles whose last fix is more than `evictAfter` seconds before
    /// `now`, after storing their states through `log` (flushed here, with whatever it held), so
    /// a vehicle that comes back resumes from it. A vehicle that sends a fix meanwhile stays.
    /// Runs on the directive log's write queue. Returns the number dropped.
    func evictIdleVehicles(now: Timestamp, log: DirectiveLog) throws(StoreError) -> Int {
        guard let cutoff = idleCutoff(now: now), let fleet else { return 0 }
        let idle = fleet.idleStates(lastFixBefore: cutoff)
        guard !idle.isEmpty else { return 0 }
        log.record(states: idle)
        try log.flush()
        storedOnly.store(true, ordering: .sequentiallyConsistent)  // before any vehicle leaves memory
        return fleet.evict(idle)
    }

    /// A fix time before which a vehicle is idle, or nil when eviction is off.
    private func idleCutoff(now: Timestamp) -> Timestamp? {
        evictAfter > 0 ? Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(evictAfter * 1000)) : nil
    }

    /// The vehicles among these (each once) that may have a stored state the engine does not
    /// hold: none before an eviction or an idle-skipping restore, then those the engine does not
    /// know. What `bringBack` takes.
    func storedCandidates(_ vehicleIDs: some Sequence<String>) -> [String] {
        guard storedOnly.load(ordering: .sequentiallyConsistent), let fleet else { return [] }
        var unknown: [String] = []
        var seen = Set<String>()
        for id in vehicleIDs where !fleet.knows(id) && seen.insert(id).inserted { unknown.append(id) }
        return unknown
    }

    /// Brings back from the store the states of `candidates` (`storedCandidates`: evicted
    /// vehicles coming back), before their fixes are evaluated. A state another request brought
    /// back meanwhile is kept.
    func bringBack(_ candidates: [String]) throws(StoreError) {
        guard !candidates.isEmpty, let fleet else { return }
        var unreadable: [String] = []
        fleet.restore(Self.decode(try store.vehicleStates(setName: setName, vehicleIDs: candidates), unreadable: &unreadable), replacing: false)
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

/// What restoring the saved vehicle states found (`ZoneService.restoredVehicleStates`). A value.
public struct VehicleStateRestore: Sendable {
    public var restored = 0
    /// Stored states left in the store for being idle past the eviction time (read back at
    /// their vehicle's next fix).
    public var idle = 0
    /// Vehicles whose stored state could not be read; they start fresh.
    public var unreadable: [String] = []
    /// Why the store could not be read, if it could not.
    public var failure: String?
}
