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
        /// What the engine reads of the worker's rows of a block, in input order (`mine`) and
        /// grouped by vehicle (`pending`); both kept for their capacity.
        var pending: [Pending] = []
        var mine: [Pending] = []
        /// Vehicles by the rows' scan keys (`TripRow.idKey`) of the current input: the index in
        /// `vehicles`, or -2 for another worker's.
        var keys = ScanKeyMemo()
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
                let mine = count == 1 || Evaluation.worker(of: id, among: count) == s
                if mine { vehicles.append(Vehicle(state: VehicleState(vehicleID: id))) }
                own.append(mine ? Int32(vehicles.count - 1) : -1)
            }
            let v = own[g]
            return v < 0 ? nil : Int(v)
        }
    }

    /// The worker (of `count`) that evaluates vehicle `id`: by Swift's string hash, which
    /// canonically equal spellings share, so one vehicle has one worker.
    static func worker(of id: String, among count: Int) -> Int { Int(UInt(bitPattern: id.hashValue) % UInt(count)) }

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

    /// Applies a block's rows (in input order per vehicle), its shards on their own threads;
    /// false when some vehicle's fix is earlier than its previous one (the caller then switches
    /// to sorted evaluation).
    func apply(_ rows: [TripRow], file: Int, firstRow: Int) -> Bool {
        let chunks = [rows]
        if shards.count > 1 && rows.count > 256 {
            let this = UnsafeSendable(self)
            DispatchQueue.concurrentPerform(iterations: shards.count) { s in this.value.evaluate(shard: s, chunks: chunks, file: file, firstRow: firstRow) }
        } else {
            for s in shards.indices { evaluate(shard: s, chunks: chunks, file: file, firstRow: firstRow) }
        }
        return isOrdered
    }

    /// Forgets the scan keys learnt (`ShardState.keys`): for an input scanned with new memories.
    func forgetScanKeys() { for shard in shards { shard.with { $0.keys = ScanKeyMemo() } } }

    /// False once some vehicle's fix was earlier than its previous one.
    var isOrdered: Bool { !shards.contains { $0.state.unordered } }

    /// Applies shard `s`'s rows of a block given in `chunks` (in input order; the block's first
    /// row is number `firstRow` of input `file`). Touches shard `s` only, so the shards of one
    /// block may run on different threads at once; a shard that found a fix out of order
    /// (`isOrdered`) applies nothing more.
    func evaluate(shard s: Int, chunks: [[TripRow]], file: Int, firstRow: Int) {
        let zones = self.zones, configuration = self.configuration
        let count = shards.count
        shards[s].with { shard in
            guard !shard.unordered else { return }
            // The worker's rows grouped by vehicle, each vehicle's in input order (vehicles
            // are independent): a vehicle's state, holds and index leaf stay in the cache from
            // one of its fixes to the next, where a fleet stream interleaves a thousand
            // vehicles between them (`group`).
            // The fields the engine reads of the worker's rows, copied in input order first: a
            // sequential read of the rows, where reading them in the grouped order would miss
            // the cache at nearly every row (a block's rows are several megabytes, and the
            // engine's queries between two rows evict them). The grouping then moves these
            // smaller copies, which the cache still holds.
            var mine = shard.mine
            shard.mine = []
            mine.removeAll(keepingCapacity: true)
            var number = firstRow
            for chunk in chunks {
                chunk.withUnsafeBufferPointer { rows in
                    guard let base = rows.baseAddress else { return }
                    for k in rows.indices {
                        defer { number += 1 }
                        guard rows[k].malformed == nil else { continue }
                        // A scan key names the vehicle for the whole input: looked up at its
                        // first row (another worker's vehicle remembered as -2).
                        let key = rows[k].idKey
                        let v: Int
                        if let known = shard.keys.slot(key) {
                            guard known >= 0 else { continue }
                            v = Int(known)
                        } else {
                            guard let found = shard.vehicle(rows[k].vehicle, hash: rows[k].vehicleHash, worker: s, of: count) else {
                                shard.keys.learn(key, -2)
                                continue
                            }
                            shard.keys.learn(key, Int32(found))
                            v = found
                        }
                        mine.append(Pending(base + k, vehicle: v, number: number))
                    }
                }
            }
            var pending = shard.pending
            shard.pending = []
            Self.group(mine, vehicles: shard.vehicles.count, by: \.vehicle, into: &pending)
            for p in pending {
                if !Self.step(p, file: file, shard: &shard, zones: zones, configuration: configuration, ordered: true) {
                    shard.unordered = true
                    break
                }
            }
            shard.pending = pending
            shard.mine = mine
        }
    }

    /// `items` (in input order) grouped by `vehicle` (in `0..<vehicles`), ascending, each
    /// vehicle's items in input order, into `grouped` (emptied first, kept for its capacity): by
    /// a counting sort that moves each item once when there are not many more vehicles than
    /// items, else by sorting `vehicle << 32 | position` keys, O(m log m) in the items whatever
    /// the number of vehicles.
    static func group<Item>(_ items: [Item], vehicles: Int, by vehicle: (Item) -> Int, into grouped: inout [Item]) {
        grouped.removeAll(keepingCapacity: true)
        guard vehicles <= 4 * items.count else {
            var keys = items.indices.map { UInt64(vehicle(items[$0])) << 32 | UInt64($0) }
            keys.sort()
            grouped.reserveCapacity(items.count)
            for key in keys { grouped.append(items[Int(key & 0xFFFF_FFFF)]) }
            return
        }
        var starts = [Int](repeating: 0, count: vehicles + 1)
        for item in items { starts[vehicle(item) + 1] += 1 }
        for v in 0..<vehicles { starts[v + 1] += starts[v] }
        grouped.append(contentsOf: items)  // the places, overwritten in grouped order
        grouped.withUnsafeMutableBufferPointer { out in
            for item in items {
                let v = vehicle(item)
                out[starts[v]] = item
                starts[v] += 1
            }
        }
    }

    /// Applies one record of the sorted stream.
    mutating func applySorted(_ record: SortRecord) {
        let zones = self.zones, configuration = self.configuration
        shards[0].with { shard in
            withUnsafePointer(to: record.row) { row in
                guard let v = shard.vehicle(row.pointee.vehicle, worker: 0, of: 1) else { return }
                _ = Self.step(
                    Pending(row, vehicle: v, number: record.rowNumber), file: record.file, shard: &shard, zones: zones,
                    configuration: configuration, ordered: false)
            }
        }
    }

    /// What the engine reads of a row, the row's vehicle (`vehicles[vehicle]`) and its number
    /// in its input.
    /// 64 bytes: the optional numbers as `TripRow` keeps them.
    struct Pending {
        var time: Int64
        var lat: Double, lon: Double
        @CompactNumber var accuracy: Double?
        @CompactNumber var speed: Double?
        @CompactNumber var heading: Double?
        var number: Int
        private var slot: Int32
        var hasPosition: Bool
        var vehicle: Int { Int(slot) }

        init(_ row: UnsafePointer<TripRow>, vehicle: Int, number: Int) {
            slot = Int32(truncatingIfNeeded: vehicle)
            self.number = number
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
        _ row: Pending, file: Int, shard: inout ShardState, zones: ZoneSnapshot, configuration: EngineConfiguration,
        ordered: Bool
    ) -> Bool {
        let k = row.vehicle
        let usable = row.hasPosition
            && PositionFix.isUsable(latitude: row.lat, longitude: row.lon, accuracy: row.accuracy, speed: row.speed, heading: row.heading)
        // (Most fixes emit nothing: an empty array is not emptied again, which is a generic
        // range replacement.)
        if !shard.emitted.isEmpty { shard.emitted.removeAll(keepingCapacity: true) }
        // The vehicle's state read and written in place: one uniqueness check of the array,
        // where each subscript access made its own.
        let applied = shard.vehicles.withUnsafeMutableBufferPointer { vehicles in
            if ordered, let last = vehicles[k].lastTime, row.time < last { return false }
            vehicles[k].lastTime = max(vehicles[k].lastTime ?? .min, row.time)
            // The engine names the vehicle by its state and does not read the fix's id: an
            // empty one is neither retained nor released (the vehicle's id, even a short one,
            // was both).
            let fix = PositionFix(
                vehicleID: "", time: Timestamp(millisecondsSinceEpoch: row.time),
                coordinate: row.hasPosition ? Coordinate(longitude: row.lon, latitude: row.lat) : nil, accuracy: row.accuracy,
                speed: row.speed, heading: row.heading)
            VehicleTracker.apply(
                fix, to: &vehicles[k].state, zones: zones, configuration: configuration, scratch: &shard.scratch, into: &shard.emitted)
            return true
        }
        guard applied else { return false }
        // A rejected fix gets exactly one directive (there may be one per row).
        if shard.emitted.first?.kind == .fixRejected {
            let d = shard.emitted[0]
            shard.vehicles[k].directiveCount += 1
            shard.lines.add(vehicle: d.vehicleID, seq: d.seq, line: d.jsonLine)
            if usable { shard.rejected.append(UInt64(file) << 40 | UInt64(row.number)) }
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

    @inline(__always)
    mutating func add(lat: Double, lon: Double) {
        // Nearly every fix lies inside the bounds so far: one test for that (a NaN fails it and
        // goes on as before).
        let east = lon < 0 ? lon + 360 : lon
        if lat >= minLat && lat <= maxLat && lon >= minLon && lon <= maxLon && east >= minLon360 && east <= maxLon360 { return }
        minLat = min(minLat, lat)
        maxLat = max(maxLat, lat)
        minLon = min(minLon, lon)
        maxLon = max(maxLon, lon)
        minLon360 = min(minLon360, east)
        maxLon360 = max(maxLon360, east)
    }

    func union(_ o: Bounds) -> Bounds {
        var u = Bounds(minLat: min(minLat, o.minLat), maxLat: max(maxLat, o.maxLat), minLon: min(minLon, o.minLon), maxLon: max(maxLon, o.maxLon))
        (u.minLon360, u.maxLon360) = (min(minLon360, o.minLon360), max(maxLon360, o.maxLon360))
        return u
    }
}
