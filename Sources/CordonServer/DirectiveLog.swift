import CordonCore
import CordonEngine
import CordonFormats
import CordonStore
import Dispatch
import Logging
import ServiceLifecycle
import Synchronization

/// Buffers the directives the service issues and writes them to the store's directive log in
/// batches, for the owner API, together with the state of each vehicle after its last
/// directive (table `vehicle_state`), so that after a crash every vehicle resumes from its last
/// logged directive: the same zones holding it, `seq` going on.
///
/// `Sendable`: the buffer sits behind a lock; `flush` takes the whole buffer and writes it in
/// one transaction, so concurrent requests never wait on SQLite and the log and the states
/// never disagree. On a failed write the batch goes back into the buffer and is retried on the
/// next flush.
final class DirectiveLog: Sendable {
    let store: ZoneStore
    /// The served zone set, which the vehicle states belong to.
    let setName: String
    private struct Pending {
        var directives: [LoggedDirective] = []
        /// Per vehicle, its latest state: the one taken after the most fixes (requests may
        /// record out of order, and an eviction records a state taken after later fixes with
        /// the same `seq`).
        var states: [String: VehicleState.Saved] = [:]

        mutating func merge(_ state: VehicleState.Saved) {
            if let held = states[state.vehicleID], Self.order(held) >= Self.order(state) { return }
            states[state.vehicleID] = state
        }

        static func order(_ s: VehicleState.Saved) -> (Int, Int) { (s.fixesApplied + s.fixesRejected, s.seq) }
    }
    private let pending = Mutex(Pending())
    /// Serialises flushes so batches reach the database in the order they were taken.
    private let writing = Mutex<Void>(())

    init(store: ZoneStore, setName: String) {
        self.store = store
        self.setName = setName
    }

    /// Queues directives (`fix.rejected` reports are not suppression and are not kept) with their
    /// wire text.
    func record(_ directive: Directive, line: String) {
        guard directive.kind != .fixRejected else { return }
        let entry = LoggedDirective(
            vehicleID: directive.vehicleID, seq: directive.seq, kind: directive.kind.rawValue, time: directive.time, body: line)
        pending.withLock { $0.directives.append(entry) }
    }

    /// Queues vehicle states taken right after fixes that issued directives.
    func record(states: [VehicleState.Saved]) {
        guard !states.isEmpty else { return }
        pending.withLock { p in
            for state in states { p.merge(state) }
        }
    }

    /// Writes everything queued so far.
    func flush() throws(StoreError) {
        let failure: StoreError? = writing.withLock { _ in
            let batch = pending.withLock { pending in
                defer { pending = Pending() }
                return pending
            }
            do throws(StoreError) {
                let writer = JSONWriter()
                let states = batch.states.values.map { (vehicleID: $0.vehicleID, body: writer.string($0.json)) }
                try store.appendDirectives(batch.directives, vehicleStates: (setName, states), recordedAt: ZoneStore.now())
                return nil
            } catch {
                pending.withLock { p in
                    p.directives.insert(contentsOf: batch.directives, at: 0)
                    for state in batch.states.values { p.merge(state) }
                }
                return error
            }
        }
        if let failure { throw failure }
    }
}

/// Flushes the directive log every `interval` seconds, and once more at shutdown after the
/// HTTP server has finished its in-flight requests (services stop in reverse order).
struct DirectiveFlushService: Service {
    let log: DirectiveLog
    let interval: Double
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownAwareSleep(seconds: interval)
            await flush()
        }
        await flush()
    }

    /// The SQLite writes of the directive log and of retention, off the request threads.
    static let writes = DispatchQueue(label: "cordon.directive-log")

    private func flush() async {
        do {
            try await onQueue(Self.writes) { [log] () throws(StoreError) in try log.flush() }
        } catch {
            logger.error("directive log flush failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Deletes directives older than the retention period at start-up and then every `interval`.
struct RetentionService: Service {
    let store: ZoneStore
    let retentionDays: Double
    let interval: Double
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval) {
            let cutoff = Timestamp(
                millisecondsSinceEpoch: ZoneStore.now().millisecondsSinceEpoch - Int64(retentionDays * 86_400_000))
            do throws(StoreError) {
                let n = try await onQueue(DirectiveFlushService.writes) { [store] () throws(StoreError) in
                    try store.pruneDirectives(recordedBefore: cutoff)
                }
                if n > 0 { logger.info("retention: deleted directives", metadata: ["count": "\(n)", "before": "\(cutoff)"]) }
            } catch {
                logger.error("retention pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Polls the store for activations of the served set made elsewhere (`cordon zones activate`).
struct ZoneWatchService: Service {
    let zones: ZoneService
    let interval: Double
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval, startingNow: false) {
            do { try await zones.refresh() } catch { logger.error("zone-set refresh failed", metadata: ["error": "\(error)"]) }
        }
    }
}

/// Drops from memory the vehicles idle for `ZoneService.evictAfter` (their states stored first),
/// at start-up and then every `interval` seconds; off the request threads.
struct EvictionService: Service {
    let zones: ZoneService
    let log: DirectiveLog
    let interval: Double
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        await repeatUntilShutdown(every: interval) {
            do throws(StoreError) {
                let dropped = try await onQueue(DirectiveFlushService.writes) { [zones, log] () throws(StoreError) in
                    try zones.evictIdleVehicles(now: ZoneStore.now(), log: log)
                }
                if dropped > 0 {
                    metrics.vehiclesEvicted.increment(by: Int64(dropped))
                    logger.info("idle vehicles evicted", metadata: ["vehicles": "\(dropped)"])
                }
            } catch {
                logger.error("eviction failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Saves the vehicle states at shutdown, once the HTTP server has finished its in-flight
/// requests (services stop in reverse order, and the server is the last one): the directive
/// log is flushed first (with the states written beside it), then every vehicle's state in
/// memory replaces its saved one (the evicted ones' stay). They are restored when the service next starts (`ZoneService`).
struct VehicleStateService: Service {
    let zones: ZoneService
    let log: DirectiveLog
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            let saved = try await onQueue(DirectiveFlushService.writes) { [zones, log] () throws(StoreError) in
                try log.flush()
                return try zones.saveVehicleStates()
            }
            logger.info("vehicle states saved", metadata: ["vehicles": "\(saved)"])
        } catch {
            logger.error("saving vehicle states failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Runs `body` every `interval` seconds (first at once, unless `startingNow` is false) until
/// graceful shutdown. With no interval it only waits for shutdown: a service that returns
/// ends the whole group.
func repeatUntilShutdown(every interval: Double, startingNow: Bool = true, _ body: () async -> Void) async {
    guard interval > 0 else {
        try? await gracefulShutdown()
        return
    }
    if !startingNow { try? await gracefulShutdownAwareSleep(seconds: interval) }
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        await body()
        try? await gracefulShutdownAwareSleep(seconds: interval)
    }
}

/// Sleeps, waking early when graceful shutdown begins.
func gracefulShutdownAwareSleep(seconds: Double) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}
