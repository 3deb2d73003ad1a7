public import CordonCore
import Synchronization

/// Many vehicles' state machines behind one entry point, with the active zone snapshot.
///
/// Thread-safe (`Sendable`): `evaluate` may be called concurrently from any number of threads.
/// Vehicles are spread over independently locked shards, so calls for different vehicles
/// proceed in parallel; calls for one vehicle are serialised and applied in the order they
/// take the lock (a caller that needs a particular order for one vehicle, as a stream does,
/// makes its calls one after another). `activate` swaps the snapshot atomically: a fix is
/// evaluated entirely against the snapshot current when its call began, and each vehicle
/// moves to the new version on its next fix. The engine owns the vehicle states; `state(of:)`
/// returns copies.
///
/// It holds a state for every vehicle it has seen, so its memory grows with the number of
/// distinct vehicle ids; `maximumVehicles` is what a caller checks with `admits` before
/// evaluating fixes that may bring new ones (a soft limit: the engine itself refuses nothing).
public final class FleetEngine: Sendable {
    public let configuration: EngineConfiguration
    /// The most vehicles `admits` lets in (default: no limit).
    public let maximumVehicles: Int
    private let current: Mutex<ZoneSnapshot>
    private let shards: [Shard]
    /// Vehicles with state (kept beside the shards, so the limit check takes no lock).
    private let vehicleTotal = Atomic<Int>(0)

    final class Shard: Sendable {
        struct Contents {
            var vehicles: [String: VehicleState] = [:]
            var scratch = VehicleTracker.Scratch()
        }
        let contents = Mutex(Contents())
    }

    public init(
        zones: ZoneSnapshot, configuration: EngineConfiguration = EngineConfiguration(), shards: Int = 64,
        maximumVehicles: Int = .max
    ) {
        self.configuration = configuration
        self.maximumVehicles = max(0, maximumVehicles)
        self.current = Mutex(zones)
        self.shards = (0..<max(1, shards)).map { _ in Shard() }
    }

    /// The snapshot new evaluations use.
    public var zones: ZoneSnapshot { current.withLock { $0 } }

    /// Makes `zones` the snapshot for every evaluation that starts after this returns.
    public func activate(_ zones: ZoneSnapshot) {
        current.withLock { $0 = zones }
    }

    /// Applies one fix to its vehicle with the current snapshot; returns its directives.
    public func evaluate(_ fix: PositionFix) -> [Directive] {
        var out: [Directive] = []
        evaluate(fix, zones: zones, into: &out)
        return out
    }

    /// Applies fixes in order, all against one snapshot (so no batch is computed on a mix of
    /// versions); returns that snapshot and one directive list per fix.
    public func evaluate(_ fixes: [PositionFix]) -> (zones: ZoneSnapshot, results: [[Directive]]) {
        var ignored: [VehicleState.Saved] = []
        return evaluate(fixes, capturing: false, changed: &ignored)
    }

    /// Applies fixes in order like `evaluate(_:)`, and appends to `changed` the state of each
    /// vehicle after each fix that issued directives (see `evaluate(_:zones:into:changed:)`).
    public func evaluate(_ fixes: [PositionFix], changed: inout [VehicleState.Saved]) -> (zones: ZoneSnapshot, results: [[Directive]]) {
        evaluate(fixes, capturing: true, changed: &changed)
    }

    private func evaluate(
        _ fixes: [PositionFix], capturing: Bool, changed: inout [VehicleState.Saved]
    ) -> (zones: ZoneSnapshot, results: [[Directive]]) {
        let snapshot = zones
        var results: [[Directive]] = []
        results.reserveCapacity(fixes.count)
        var out: [Directive] = []
        for fix in fixes {
            // The last fix's directives went to `results` with their array: start a new one
            // (and leave an empty one alone, most fixes emit nothing).
            if !out.isEmpty { out = [] }
            if let saved = apply(fix, zones: snapshot, into: &out, capturing: capturing) { changed.append(saved) }
            results.append(out)
        }
        return (snapshot, results)
    }

    /// Applies one fix with a given snapshot, appending its directives to `out`.
    public func evaluate(_ fix: PositionFix, zones: ZoneSnapshot, into out: inout [Directive]) {
        _ = apply(fix, zones: zones, into: &out, capturing: false)
    }

    /// Applies one fix like `evaluate(_:zones:into:)`; when it issued directives, also appends
    /// the vehicle's state after it (taken under the same lock, so it matches those directives)
    /// to `changed`. A service writes these beside the directives it logs, so that after a crash
    /// each vehicle resumes from its last directive: the same holds and the next `seq`.
    /// (Holds change without a directive only when the policy in force stays the same.)
    public func evaluate(_ fix: PositionFix, zones: ZoneSnapshot, into out: inout [Directive], changed: inout [VehicleState.Saved]) {
        if let saved = apply(fix, zones: zones, into: &out, capturing: true) { changed.append(saved) }
    }

    private func apply(_ fix: PositionFix, zones: ZoneSnapshot, into out: inout [Directive], capturing: Bool) -> VehicleState.Saved? {
        let shard = shards[shardIndex(fix.vehicleID)]
        let configuration = self.configuration
        return shard.contents.withLock { contents in
            var state: VehicleState
            if let known = contents.vehicles.removeValue(forKey: fix.vehicleID) {
                state = known
            } else {
                state = VehicleState(vehicleID: fix.vehicleID)
                vehicleTotal.add(1, ordering: .relaxed)
            }
            let before = out.count
            VehicleTracker.apply(fix, to: &state, zones: zones, configuration: configuration, scratch: &contents.scratch, into: &out)
            let saved = capturing && out.count > before ? state.saved : nil
            contents.vehicles[fix.vehicleID] = state
            return saved
        }
    }

    /// Whether fixes of these vehicles (`count` of them, repeats allowed) may be evaluated
    /// under `maximumVehicles`: true when the vehicles without state fit under it. Without a
    /// lock when the total plus `count` fits; otherwise each id is looked up. Soft: calls
    /// admitted at the same moment may together pass the limit by their new vehicles.
    public func admits(_ vehicleIDs: some Sequence<String>, count: Int) -> Bool {
        let known = vehicleTotal.load(ordering: .relaxed)
        if count <= maximumVehicles - known { return true }
        var fresh = Set<String>()
        for id in vehicleIDs where !knows(id) {
            fresh.insert(id)
            if fresh.count > maximumVehicles - known { return false }
        }
        return true
    }

    /// Whether the engine holds a state for this vehicle.
    public func knows(_ vehicleID: String) -> Bool {
        shards[shardIndex(vehicleID)].contents.withLock { $0.vehicles[vehicleID] != nil }
    }

    /// A copy of one vehicle's state, or nil when it has sent no fix.
    public func state(of vehicleID: String) -> VehicleState? {
        shards[shardIndex(vehicleID)].contents.withLock { $0.vehicles[vehicleID] }
    }

    /// Every vehicle's state as `VehicleState.Saved`, in no particular order (each shard is
    /// read under its lock; fixes applied meanwhile may or may not be included).
    public func savedStates() -> [VehicleState.Saved] {
        shards.flatMap { shard in shard.contents.withLock { $0.vehicles.values.map(\.saved) } }
    }

    /// Installs saved states against the current snapshot (`VehicleState.init(restoring:on:)`),
    /// replacing any state those vehicles have, or with `replacing: false` only for vehicles
    /// without one (a vehicle coming back after eviction, which a concurrent call may have
    /// brought back already).
    public func restore(_ saved: [VehicleState.Saved], replacing: Bool = true) {
        let zones = self.zones
        for s in saved {
            let state = VehicleState(restoring: s, on: zones)
            let added = shards[shardIndex(s.vehicleID)].contents.withLock { contents -> Bool in
                if !replacing && contents.vehicles[s.vehicleID] != nil { return false }
                return contents.vehicles.updateValue(state, forKey: s.vehicleID) == nil
            }
            if added { vehicleTotal.add(1, ordering: .relaxed) }
        }
    }

    // MARK: - Eviction

    /// The states of the vehicles whose last applied fix is earlier than `cutoff` (or that have
    /// none): what a service saves before `evict` drops them from memory.
    public func idleStates(lastFixBefore cutoff: Timestamp) -> [VehicleState.Saved] {
        shards.flatMap { shard in
            shard.contents.withLock { contents in
                contents.vehicles.values.filter { $0.lastTime.map { $0 < cutoff } ?? true }.map(\.saved)
            }
        }
    }

    /// Drops from memory each vehicle of `saved` whose state has not changed since it was taken
    /// (the same `seq` and fix counts: no fix came in meanwhile); returns how many were dropped.
    /// The caller has stored `saved` first, so a vehicle that comes back is restored from it.
    public func evict(_ saved: [VehicleState.Saved]) -> Int {
        var dropped = 0
        for s in saved {
            let gone = shards[shardIndex(s.vehicleID)].contents.withLock { contents -> Bool in
                guard let v = contents.vehicles[s.vehicleID], v.seq == s.seq, v.fixesApplied == s.fixesApplied,
                    v.fixesRejected == s.fixesRejected
                else { return false }
                contents.vehicles[s.vehicleID] = nil
                return true
            }
            if gone { dropped += 1 }
        }
        vehicleTotal.subtract(dropped, ordering: .relaxed)
        return dropped
    }

    /// Number of vehicles with state.
    public var vehicleCount: Int { vehicleTotal.load(ordering: .relaxed) }

    private func shardIndex(_ vehicleID: String) -> Int {
        // Swift's string hash, as the shards' dictionaries use: spellings of one id equal as
        // strings (é as one scalar or as e + combining acute) share a shard and so a state. (A
        // hash of the bytes split them.) It is seeded per process, which only moves the lock.
        Int(UInt(bitPattern: vehicleID.hashValue) % UInt(shards.count))
    }
}
