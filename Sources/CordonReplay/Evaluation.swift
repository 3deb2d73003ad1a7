import Dispatch
import CordonCore
import CordonEngine
import CordonIndex

/// Pass 1's state: every vehicle's engine state and directives, split into shards by a hash
/// of the vehicle id so shards can run on different threads.
///
/// Owned by one `Replay.run`; `apply` runs each shard on its own worker, and no shard is
/// touched by two workers.
struct Evaluation {
    /// One vehicle's replay so far. Its directives go, as their lines, to its shard's line
    /// store; the vehicle keeps what the timeline and the report need of them, so its memory
    /// grows with the zones it meets, by a few bytes per state change, not by a directive's
    /// several hundred.
    struct Vehicle {
        var state: VehicleState
        var events: [TimelineEvent] = []
        /// Its directives, `fix.rejected` ones included.
        var directiveCount = 0
        var lastTime: Int64?
        /// The numbers (in the snapshot) of the zones its directives named, ascending, and
        /// the categories they named (`VehicleTimeline.mask`).
        var zones: [UInt32] = []
        var categories: UInt8 = 0
        /// The time of its last `enter` directive, which counts once per category.
        var lastEnter: Int64?
        init(state: VehicleState) { self.state = state }
    }

    /// What a shard's vehicles' directives said per category: the zones they named (by number)
    /// and the enters (one per entering fix and category). A value, one per shard.
    struct CategoryFindings {
        var zones = [Set<UInt32>](repeating: [], count: Category.allCases.count)
        var enters = [Int](repeating: 0, count: Category.allCases.count)
    }

    /// One worker's vehicles and findings. A worker has it for a whole block as one inout
    /// access (`Shard.with`), so its per-row accesses are to a value, not to a class's stored
    /// properties (which would take an exclusivity check at run time each).
    struct ShardState {
        /// Every vehicle this worker has met, its own or another worker's, and for each its
        /// index in `vehicles`, or -1.
        var seen = VehicleSlots()
        var own: [Int32] = []
        var vehicles: [Vehicle] = []
        var scratch = VehicleTracker.Scratch()
        /// A block's rows gathered for the engine (kept for its capacity).
        var pending: [Pending] = []
        /// Engine-rejected rows (usable fixes refused for their time): `file << 40 | row`.
        var rejected: [UInt64] = []
        /// The directives of the fix being applied (kept for its capacity).
        var emitted: [Directive] = []
        var findings = CategoryFindings()
        var unordered = false
        var bounds = Bounds()
        /// The directives of this worker's vehicles, as their lines.
        var lines: DirectiveStore

        /// The index in `vehicles` of `id` when worker `s` of `count` evaluates it (made on first
        /// sight), else nil. The worker is picked by Swift's string hash, which canonically
        /// equal spellings share (as they share their `seen` slot): one worker per vehicle.
        mutating func vehicle(_ id: String, hash: UInt64 = 0, worker s: Int, of count: Int) -> Int? {
            let (g, isNew) = seen.slot(of: id, hash: hash)
            if isNew {
                let mine = count == 1 || Int(UInt(bitPattern: id.hashValue) % UInt(count)) == s
                if mine { vehicles.append(Vehicle(state: VehicleState(vehicleID: id))) }
                own.append(mine ? Int32(vehicles.count - 1) : -1)
            }
            let v = own[g]
            return v < 0 ? nil : Int(v)
        }
    }

    final class Shard: @unchecked Sendable {
        var state: ShardState

        init(lines: DirectiveStore) { state = ShardState(lines: lines) }

        /// Runs `body` on the shard's state: one access for the whole call.
        func with<R>(_ body: (inout ShardState) -> R) -> R { body(&state) }
    }

    let zones: ZoneSnapshot
    let configuration: EngineConfiguration
    let shards: [Shard]
    /// Bounding box of the positions applied.
    var bounds: Bounds { shards.reduce(Bounds()) { $0.union($1.state.bounds) } }

    /// `directory` and `rejectedMemoryBytes`: where and past what size each worker's
    /// directive lines go to a temporary file (`DirectiveStore`).
    init(zones: ZoneSnapshot, configuration: EngineConfiguration, threads: Int, directory: String, rejectedMemoryBytes: Int) {
        self.zones = zones
        self.configuration = configuration
        self.shards = (0..<threads).map { _ in Shard(lines: DirectiveStore(directory: directory, memoryBytes: rejectedMemoryBytes)) }
    }

    /// Every worker's directives, as their lines.
    var directiveStores: [DirectiveStore] { shards.map(\.state.lines) }

    /// Applies a block's rows (in input order per vehicle); false when some vehicle's fix is
    /// earlier than its previous one (the caller then switches to sorted evaluation).
    mutating func apply(_ rows: [TripRow], file: Int, firstRow: Int) -> Bool {
        let shards = self.shards
        let zones = self.zones, configuration = self.configuration
        let work = { (s: Int) in
            shards[s].with { shard in
                rows.withUnsafeBufferPointer { rows in
                    guard let base = rows.baseAddress else { return }
                    // The worker's rows grouped by vehicle, each vehicle's in input order
                    // (vehicles are independent): a vehicle's state, holds and index leaf
                    // stay in the cache from one of its fixes to the next, where a fleet
                    // stream interleaves a thousand vehicles between them.
                    // Keys `slot << 32 | row` in ascending order: counted by vehicle when the
                    // worker has few vehicles against the block's rows, else sorted, O(m log m)
                    // in the block's own rows whatever the number of vehicles seen so far.
                    var keys: [UInt64] = []
                    keys.reserveCapacity(rows.count / shards.count + 16)
                    for k in rows.indices where rows[k].malformed == nil {
                        guard let v = shard.vehicle(rows[k].vehicle, hash: rows[k].vehicleHash, worker: s, of: shards.count) else { continue }
                        keys.append(UInt64(v) << 32 | UInt64(k))
                    }
                    let grouped = Self.groupedByVehicle(keys, vehicles: shard.vehicles.count)
                    // The fields the engine reads, gathered in that order first: the rows lie
                    // far apart (a thousand vehicles between two of one vehicle's), and a loop
                    // that only copies overlaps their cache misses, where the engine's work
                    // between two rows would wait for each.
                    var pending = shard.pending
                    shard.pending = []
                    pending.removeAll(keepingCapacity: true)
                    pending.reserveCapacity(grouped.count)
                    for key in grouped { pending.append(Pending(base + Int(key & 0xFFFF_FFFF), vehicle: Int(key >> 32))) }
                    for (n, key) in grouped.enumerated() {
                        let k = Int(key & 0xFFFF_FFFF)
                        if !Self.step(pending[n], file: file, row: firstRow + k, shard: &shard, zones: zones, configuration: configuration, ordered: true) {
                            shard.unordered = true
                            break
                        }
                    }
                    shard.pending = pending
                }
            }
        }
        if shards.count > 1 && rows.count > 256 {
            let rows = UnsafeSendable(work)
            DispatchQueue.concurrentPerform(iterations: shards.count) { s in rows.value(s) }
        } else {
            for s in 0..<shards.count { work(s) }
        }
        return !shards.contains { $0.state.unordered }
    }

    /// `keys` (`vehicle << 32 | row`, rows ascending) in ascending order: by a counting sort on
    /// the vehicle, which keeps each vehicle's rows in order, when there are not many more
    /// vehicles than keys; else by sorting.
    static func groupedByVehicle(_ keys: [UInt64], vehicles: Int) -> [UInt64] {
        guard vehicles <= 4 * keys.count else { return keys.sorted() }
        var starts = [Int](repeating: 0, count: vehicles + 1)
        for key in keys { starts[Int(key >> 32) + 1] += 1 }
        for v in 0..<vehicles { starts[v + 1] += starts[v] }
        var grouped = [UInt64](repeating: 0, count: keys.count)
        for key in keys {
            let v = Int(key >> 32)
            grouped[starts[v]] = key
            starts[v] += 1
        }
        return grouped
    }

    /// Applies one record of the sorted stream.
    mutating func applySorted(_ record: SortRecord) {
        let zones = self.zones, configuration = self.configuration
        shards[0].with { shard in
            withUnsafePointer(to: record.row) { row in
                guard let v = shard.vehicle(row.pointee.vehicle, worker: 0, of: 1) else { return }
                _ = Self.step(
                    Pending(row, vehicle: v), file: record.file, row: record.rowNumber, shard: &shard, zones: zones,
                    configuration: configuration, ordered: false)
            }
        }
    }

    /// What the engine reads of a row, and the row's vehicle (`vehicles[vehicle]`).
    struct Pending {
        var vehicle: Int
        var time: Int64
        var lat: Double, lon: Double
        var hasPosition: Bool
        var accuracy: Double?, speed: Double?, heading: Double?

        init(_ row: UnsafePointer<TripRow>, vehicle: Int) {
            self.vehicle = vehicle
            time = row.pointee.time
            lat = row.pointee.lat
            lon = row.pointee.lon
            hasPosition = row.pointee.hasPosition
            accuracy = row.pointee.accuracy
            speed = row.pointee.speed
            heading = row.pointee.heading
        }
    }

    /// One row through its vehicle's state machine. False when `ordered` and the row is
    /// earlier than the vehicle's last row.
    static func step(
        _ row: Pending, file: Int, row number: Int, shard: inout ShardState, zones: ZoneSnapshot, configuration: EngineConfiguration,
        ordered: Bool
    ) -> Bool {
        let k = row.vehicle
        if ordered, let last = shard.vehicles[k].lastTime, row.time < last { return false }
        shard.vehicles[k].lastTime = max(shard.vehicles[k].lastTime ?? .min, row.time)
        let coordinate = row.hasPosition ? Coordinate(longitude: row.lon, latitude: row.lat) : nil
        let usable = row.hasPosition
            && PositionFix.isUsable(latitude: row.lat, longitude: row.lon, accuracy: row.accuracy, speed: row.speed, heading: row.heading)
        // The engine names the vehicle by its state; the fix's id is not read.
        let fix = PositionFix(
            vehicleID: shard.vehicles[k].state.vehicleID, time: Timestamp(millisecondsSinceEpoch: row.time),
            coordinate: coordinate, accuracy: row.accuracy, speed: row.speed, heading: row.heading)
        shard.emitted.removeAll(keepingCapacity: true)
        shard.vehicles.withUnsafeMutableBufferPointer { vehicles in
            VehicleTracker.apply(
                fix, to: &vehicles[k].state, zones: zones, configuration: configuration, scratch: &shard.scratch, into: &shard.emitted)
        }
        // A rejected fix gets exactly one directive (there may be one per row).
        if shard.emitted.first?.kind == .fixRejected {
            let d = shard.emitted[0]
            shard.vehicles[k].directiveCount += 1
            shard.lines.add(vehicle: d.vehicleID, seq: d.seq, line: d.jsonLine)
            if usable { shard.rejected.append(UInt64(file) << 40 | UInt64(number)) }
            return true
        }
        if usable { shard.bounds.add(lat: row.lat, lon: row.lon) }
        for d in shard.emitted { note(d, of: k, shard: &shard, zones: zones) }
        return true
    }

    /// Keeps a directive (not `fix.rejected`) of vehicle `k`: its line in the shard's store,
    /// what the timeline needs in the vehicle, what the report needs in the vehicle and the
    /// shard's category findings.
    static func note(_ d: Directive, of k: Int, shard: inout ShardState, zones: ZoneSnapshot) {
        shard.lines.add(vehicle: d.vehicleID, seq: d.seq, line: d.jsonLine)
        let event = TimelineEvent(d)
        let time = d.time.millisecondsSinceEpoch
        let enter = d.reason == .enter && shard.vehicles[k].lastEnter != time
        if enter { shard.vehicles[k].lastEnter = time }
        shard.vehicles[k].events.append(event)
        shard.vehicles[k].directiveCount += 1
        shard.vehicles[k].categories |= event.categories
        for id in d.zoneIDs {
            guard let n = zones.number(of: id) else { continue }
            // Ascending, each once (a vehicle meets a handful of zones).
            let at = shard.vehicles[k].zones.firstIndex { $0 >= n } ?? shard.vehicles[k].zones.count
            if at == shard.vehicles[k].zones.count || shard.vehicles[k].zones[at] != n { shard.vehicles[k].zones.insert(n, at: at) }
            var bits = event.categories
            while bits != 0 {
                shard.findings.zones[bits.trailingZeroBitCount].insert(n)
                bits &= bits - 1
            }
        }
        if enter {
            var bits = event.categories
            while bits != 0 {
                shard.findings.enters[bits.trailingZeroBitCount] += 1
                bits &= bits - 1
            }
        }
    }

    /// Ascending engine-rejected row numbers of one input.
    func rejectedRows(of file: Int) -> [Int] {
        var rows: [Int] = []
        for shard in shards { for key in shard.state.rejected where Int(key >> 40) == file { rows.append(Int(key & ((1 << 40) - 1))) } }
        rows.sort()
        return rows
    }

    /// What the steps after the engine need of a vehicle: its timeline events, how many
    /// directives it got (`fix.rejected` ones included), how often it entered, its last fix's
    /// time, the zones (by number) and categories its directives named. A value.
    struct Finished {
        var events: [TimelineEvent]
        var directiveCount: Int
        var enters: Int
        var lastTime: Int64?
        var zones: [UInt32]
        var categories: UInt8
    }

    /// The shards' category findings together.
    var categoryFindings: CategoryFindings {
        var all = CategoryFindings()
        for shard in shards {
            for k in all.zones.indices {
                all.zones[k].formUnion(shard.state.findings.zones[k])
                all.enters[k] += shard.state.findings.enters[k]
            }
        }
        return all
    }

    /// Every vehicle's outcome, by id. The engine states are released (a few hundred bytes
    /// each, with the index cell a vehicle keeps: 200 MB for 300,000 vehicles), so call it once,
    /// after the last fix.
    func finish() -> [String: Finished] {
        var all: [String: Finished] = [:]
        all.reserveCapacity(shards.reduce(0) { $0 + $1.state.vehicles.count })
        for shard in shards {
            var vehicles: [Vehicle] = []
            swap(&vehicles, &shard.state.vehicles)
            for v in vehicles {
                all[v.state.vehicleID] = Finished(
                    events: v.events, directiveCount: v.directiveCount,
                    enters: v.state.enters, lastTime: v.lastTime, zones: v.zones, categories: v.categories)
            }
        }
        return all
    }
}

/// A latitude/longitude bounding box that starts empty. A value; `Sendable`.
struct Bounds: Sendable {
    var minLat = Double.infinity, maxLat = -Double.infinity
    var minLon = Double.infinity, maxLon = -Double.infinity
    /// The same longitudes taken in [0, 360) (west of Greenwich + 360): a fleet on both sides of
    /// the antimeridian spans little here and nearly the whole world above.
    var minLon360 = Double.infinity, maxLon360 = -Double.infinity
    var isEmpty: Bool { minLat > maxLat }

    init() {}

    init(minLat: Double, maxLat: Double, minLon: Double, maxLon: Double) {
        (self.minLat, self.maxLat, self.minLon, self.maxLon) = (minLat, maxLat, minLon, maxLon)
        (minLon360, maxLon360) = (minLon < 0 ? minLon + 360 : minLon, maxLon < 0 ? maxLon + 360 : maxLon)
    }

    mutating func add(lat: Double, lon: Double) {
        minLat = min(minLat, lat)
        maxLat = max(maxLat, lat)
        minLon = min(minLon, lon)
        maxLon = max(maxLon, lon)
        let east = lon < 0 ? lon + 360 : lon
        minLon360 = min(minLon360, east)
        maxLon360 = max(maxLon360, east)
    }

    func union(_ o: Bounds) -> Bounds {
        var u = Bounds(minLat: min(minLat, o.minLat), maxLat: max(maxLat, o.maxLat), minLon: min(minLon, o.minLon), maxLon: max(maxLon, o.maxLon))
        (u.minLon360, u.maxLon360) = (min(minLon360, o.minLon360), max(maxLon360, o.maxLon360))
        return u
    }
}
