#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CordonCore
import CordonIndex

/// The per-vehicle state machine: (state, fix, zone snapshot, configuration) → (state,
/// directives). Pure: no I/O, no clock but the fix's time, no shared state; the same inputs
/// give the same directives. The rules are in docs/directives.md.
///
/// `apply` may be called from any thread; the caller serialises calls for one vehicle (it owns
/// that vehicle's `VehicleState`) and owns the `Scratch` it passes.
public enum VehicleTracker {
    /// Working storage reused from fix to fix, so the steady state allocates nothing.
    /// A value type; one per thread (or per call site), never shared concurrently.
    public struct Scratch: Sendable {
        /// The zones the current fix touches, each once, in the order the queries found them.
        var touched: [UInt32] = []
        /// One bit per zone number, set exactly for the zones in `touched` (cleared through the
        /// list when the next fix empties it): membership in one test, no sort.
        var touchedBits: [UInt64] = []
        var near: [UInt32] = []
        var held: [UInt32] = []
        /// Zones the current fix touches that no hold has yet.
        var fresh: [UInt32] = []
        /// Zones released at this fix, their ids resolved in the snapshot each was numbered in.
        var released: [(id: String, category: Category)] = []

        public init() {
            touched.reserveCapacity(64)
            near.reserveCapacity(64)
            held.reserveCapacity(16)
            fresh.reserveCapacity(16)
            released.reserveCapacity(8)
        }

        /// Empties `touched` and clears its bits.
        @inline(__always)
        mutating func clearTouched() {
            if !touched.isEmpty {
                touchedBits.withUnsafeMutableBufferPointer { bits in
                    for z in touched { bits[Int(z >> 6)] &= ~(1 << UInt64(z & 63)) }
                }
            }
            empty(&touched)
        }

        /// Drops the repeats from `touched` (first sightings stay, in order) and sets the bit of
        /// each zone left. `zoneCount` bounds the zone numbers: the snapshot's rules, as many as
        /// its index has zones (`ZoneSnapshot.init` checks), and the queries report only those.
        @inline(__always)
        mutating func markTouched(zoneCount: Int) {
            let words = (zoneCount + 63) >> 6
            if touchedBits.count < words { touchedBits += repeatElement(0, count: words - touchedBits.count) }
            let kept = touchedBits.withUnsafeMutableBufferPointer { bits in
                touched.withUnsafeMutableBufferPointer { list in
                    var w = 0
                    for i in list.indices {
                        let z = list[i]
                        let word = Int(z >> 6), bit: UInt64 = 1 << UInt64(z & 63)
                        if bits[word] & bit == 0 {
                            bits[word] |= bit
                            list[w] = z
                            w += 1
                        }
                    }
                    return w
                }
            }
            shrink(&touched, to: kept)
        }

        /// Removes from `touched` (and its bits) the zones `drop` says, keeping the order.
        mutating func dropTouched(_ drop: (UInt32) -> Bool) {
            var w = 0
            for i in touched.indices {
                let z = touched[i]
                if drop(z) {
                    touchedBits[Int(z >> 6)] &= ~(1 << UInt64(z & 63))
                } else {
                    touched[w] = z
                    w += 1
                }
            }
            shrink(&touched, to: w)
        }

        /// Whether `zone` is in `touched`.
        @inline(__always)
        func touches(_ zone: UInt32) -> Bool {
            touchedBits.withUnsafeBufferPointer { $0[Int(zone >> 6)] & 1 << UInt64(zone & 63) != 0 }
        }
    }

    /// Applies one fix to `state` and appends the directives it causes to `out`.
    ///
    /// A fix earlier than or at the same time as the last applied one, or without a usable
    /// position, is reported (`fix.rejected`) and changes nothing but the sequence number.
    /// The directives name the vehicle `state` names; `fix.vehicleID` is not read (routing a
    /// fix to its vehicle's state is the caller's, as `FleetEngine` does).
    public static func apply(
        _ fix: PositionFix, to state: inout VehicleState, zones: ZoneSnapshot, configuration: EngineConfiguration,
        scratch: inout Scratch, into out: inout [Directive]
    ) {
        let t = fix.time
        if let last = state.lastTime {
            if t < last { return reject(fix, .outOfOrder(last: last), &state, zones, &out) }
            if t == last { return reject(fix, .duplicate, &state, zones, &out) }
        }
        if !fix.isUsable, let problem = fix.problem { return reject(fix, problem, &state, zones, &out) }
        guard let c = fix.coordinate else { return }  // `problem` refuses a fix without one

        let wasHeld = !state.holds.isEmpty
        empty(&scratch.released)
        let rebased = state.snapshot !== zones || state.restored
        if rebased {
            rebase(&state, on: zones, scratch: &scratch)
        }

        // What the fix touches: its accuracy disk and its look-ahead path.
        let cfg = configuration
        let elapsed = state.lastTime.map { Double(t.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000 }
        let gapped = elapsed.map { $0 > cfg.maxGapSeconds } ?? true
        let radius = min(fix.accuracy ?? 0, cfg.maxAccuracyMeters)
        let cosLat = max(cosDegrees(c.latitude), 1e-6)
        var uncertain = (fix.accuracy ?? 0) > cfg.maxAccuracyMeters
        if !uncertain, let previous = state.lastPosition, let dt = elapsed, dt > 0 {
            // Equirectangular distance: exact enough for telling a jump from driving.
            let dy = (c.latitude - previous.latitude) * Self.metresPerDegree
            let dx = (c.longitude - previous.longitude) * Self.metresPerDegree * cosLat
            let reach = cfg.maxPlausibleSpeed * dt
            uncertain = dx * dx + dy * dy > reach * reach
        }
        let index = zones.index
        scratch.clearTouched()
        let path = lookahead(fix, from: c, cosLat: cosLat, cfg)
        if radius == 0, let path {
            // A point and its path: one query, whose leaf scan also answers for the point.
            index.collectZones(touchingSegment: c, path.end, containingStart: true, cell: &state.cell, into: &scratch.touched)
        } else {
            index.collectZones(touchingDisk: c, radiusMeters: radius, cell: &state.cell, into: &scratch.touched)
            if let path {
                index.collectZones(touchingSegment: c, path.end, containingStart: false, cell: &state.cell, into: &scratch.touched)
            }
        }
        if let beyond = path?.beyond {
            // The path goes on past the antimeridian, from the other side (its own cell: the
            // vehicle's stays where the vehicle is).
            var cell = ZoneIndex.Cell()
            index.collectZones(touchingSegment: beyond.start, beyond.end, containingStart: true, cell: &cell, into: &scratch.touched)
        }
        scratch.markTouched(zoneCount: zones.rules.count)
        if zones.isTimeDependent {
            scratch.dropTouched { !zones.rules[Int($0)].isEnforced(at: t) }
        } else if !rebased && state.holds.count == scratch.touched.count
            && state.holds.allSatisfy({ $0.clearSince == nil && scratch.touches($0.zone) })
        {
            // The steady state, inside zones or clear of all: the fix touches exactly the zones
            // held, none of them counting down, and nothing was rebased. The steps below would
            // keep every hold as it is and find the same policy: only the time and place move.
            state.lastTime = t
            state.lastPosition = c
            state.fixesApplied += 1
            return
        }

        // Holds: kept while touched or near; released once clear for the hold time, or at
        // once when the zone is no longer enforced.
        var nearKnown = false
        // Whether a hold was taken or released (or renumbered): else the combined policy is
        // the one the holds gave at the last fix, and no directive can follow.
        var holdsChanged = rebased
        var k = 0
        while k < state.holds.count {
            var hold = state.holds[k]
            var release = false
            if zones.isTimeDependent && !zones.rules[Int(hold.zone)].isEnforced(at: t) {
                release = true
            } else if scratch.touches(hold.zone) {
                if hold.clearSince == nil {
                    // Touched and not counting down: nothing to write back.
                    k += 1
                    continue
                }
                hold.clearSince = nil
            } else {
                if !nearKnown && !uncertain {
                    // Only the edges of the holding zones not touched matter: the others
                    // cannot keep a hold, the touched ones keep it anyway. (An uncertain fix
                    // keeps every hold without asking.)
                    empty(&scratch.near)
                    empty(&scratch.held)
                    // A zone whose bounds the disk's box misses has no edge within the reach,
                    // and it does not hold the position (it is not touched): the index would
                    // not report it, so it is not asked (most holds counting down are of zones
                    // the vehicle has driven away from). A box past ±180° asks about all.
                    let reach = radius + cfg.exitMarginMeters
                    let box = ZoneIndex.searchBox(around: c, radiusMeters: reach)
                    let wraps = box.minLongitude < -180 || box.maxLongitude > 180
                    for h in state.holds where !scratch.touches(h.zone) {
                        if wraps || zones.bounds[Int(h.zone)].intersects(box) { scratch.held.append(h.zone) }
                    }
                    if !scratch.held.isEmpty {
                        index.collectZones(
                            touchingDisk: c, radiusMeters: reach, containingCenter: false,
                            amongZones: scratch.held, cell: &state.cell, into: &scratch.near)
                        sortUnique(&scratch.near)
                    }
                    nearKnown = true
                }
                if uncertain || contains(scratch.near, hold.zone) {
                    hold.clearSince = nil
                } else {
                    let since = gapped ? t : (hold.clearSince ?? t)
                    hold.clearSince = since
                    release = Double(t.millisecondsSinceEpoch - since.millisecondsSinceEpoch) >= cfg.exitHoldSeconds * 1000
                }
            }
            if release {
                scratch.released.append((zones.rules[Int(hold.zone)].id, hold.category))
                state.holds.remove(at: k)
                holdsChanged = true
            } else {
                state.holds[k] = hold
                k += 1
            }
        }
        // New holds, in ascending zone number. Every hold left is of a touched zone or counts
        // down, so when as many holds are touched as zones, no zone is new.
        empty(&scratch.fresh)
        if state.holds.count(where: { scratch.touches($0.zone) }) < scratch.touched.count {
            for zone in scratch.touched where !state.holds.contains(where: { $0.zone == zone }) { scratch.fresh.append(zone) }
            sortUnique(&scratch.fresh)
        }
        for zone in scratch.fresh {
            let rule = zones.rules[Int(zone)]
            // Room for a few at the vehicle's first hold (not before: most vehicles never enter
            // a zone), so overlapping zones do not grow the list one reallocation at a time.
            if state.holds.capacity == 0 { state.holds.reserveCapacity(4) }
            state.holds.append(.init(zone: zone, category: rule.category, policy: rule.policy, clearSince: nil))
            holdsChanged = true
        }
        guard holdsChanged else {
            state.lastTime = t
            state.lastPosition = c
            state.fixesApplied += 1
            return
        }

        // Directives for the change of the combined policy.
        var cameras: CameraGroups = []
        var data = DataAction.none
        for hold in state.holds {
            cameras.formUnion(hold.policy.cameras)
            data = DataAction.strictest(data, hold.policy.data)
        }
        let nowHeld = !state.holds.isEmpty
        if cameras != state.cameras || data != state.data {
            var preroll = Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch - Int64((cfg.prerollSeconds * 1000).rounded()))
            if gapped, let last = state.lastTime, last < preroll { preroll = last }
            let change = Change(
                fix: fix, zones: zones, held: state.holds, released: scratch.released,
                wasHeld: wasHeld, nowHeld: nowHeld,
                stricter: data != state.data && DataAction.strictest(data, state.data) == data, preroll: preroll)
            emitChanges(change, from: (state.cameras, state.data), to: (cameras, data), state: &state, into: &out)
        }
        state.cameras = cameras
        state.data = data
        if !wasHeld && nowHeld { state.enters += 1 }
        state.lastTime = t
        state.lastPosition = c
        state.fixesApplied += 1
    }

    /// Convenience: applies one fix with fresh scratch storage and returns its directives.
    public static func apply(
        _ fix: PositionFix, to state: inout VehicleState, zones: ZoneSnapshot,
        configuration: EngineConfiguration = EngineConfiguration()
    ) -> [Directive] {
        var scratch = Scratch()
        var out: [Directive] = []
        apply(fix, to: &state, zones: zones, configuration: configuration, scratch: &scratch, into: &out)
        return out
    }

    // MARK: - Steps

    /// Renumbers the holds in a new zone-set version; holds whose zone is gone are released,
    /// and so are the zones that vanished at a restore.
    static func rebase(_ state: inout VehicleState, on zones: ZoneSnapshot, scratch: inout Scratch) {
        scratch.released += state.vanished
        state.vanished = []
        state.restored = false
        var k = 0
        while k < state.holds.count {
            let id = state.snapshot.map { $0.rules[Int(state.holds[k].zone)].id } ?? ""
            if let n = zones.number(of: id) {
                let rule = zones.rules[Int(n)]
                state.holds[k].zone = n
                state.holds[k].category = rule.category
                state.holds[k].policy = rule.policy
                k += 1
            } else {
                scratch.released.append((id, state.holds.remove(at: k).category))
            }
        }
        state.snapshot = zones
        state.cell = ZoneIndex.Cell()
    }

    /// The look-ahead path: speed × `lookahead_s` (capped) along the heading, from the fix to
    /// `end`; nil when the fix has no speed or heading, or is standing still. A path that
    /// crosses the antimeridian ends there (`end` on ±180°) and goes on in `beyond`, from the
    /// same latitude on the other side.
    struct Lookahead {
        var end: Coordinate
        var beyond: (start: Coordinate, end: Coordinate)?
    }

    static func lookahead(_ fix: PositionFix, from c: Coordinate, cosLat: Double, _ cfg: EngineConfiguration) -> Lookahead? {
        guard let speed = fix.speed, let heading = fix.heading, speed > 0, cfg.lookaheadSeconds > 0 else { return nil }
        let d = min(speed * cfg.lookaheadSeconds, cfg.maxLookaheadMeters)
        guard d > 0 else { return nil }
        // Over at most a few kilometres the sphere is flat to well under a centimetre.
        let h = sinCosDegrees(heading)
        let lat = max(-90, min(90, c.latitude + d * h.cos / metresPerDegree))
        let lon = c.longitude + d * h.sin / (metresPerDegree * cosLat)
        guard abs(lon) > 180, lon.isFinite else { return Lookahead(end: Coordinate(longitude: lon, latitude: lat)) }
        let seam: Double = lon > 0 ? 180 : -180
        let t = (seam - c.longitude) / (lon - c.longitude)
        let crossing = c.latitude + (lat - c.latitude) * t
        let far = Coordinate(longitude: max(-180, min(180, lon - 2 * seam)), latitude: lat)
        return Lookahead(
            end: Coordinate(longitude: seam, latitude: crossing),
            beyond: (Coordinate(longitude: -seam, latitude: crossing), far))
    }

    static let metresPerDegree = WGS84.authalicRadius * .pi / 180

    static func reject(
        _ fix: PositionFix, _ problem: FixProblem, _ state: inout VehicleState, _ zones: ZoneSnapshot,
        _ out: inout [Directive]
    ) {
        state.seq += 1
        state.fixesRejected += 1
        out.append(
            Directive(
                vehicleID: state.vehicleID, seq: state.seq, kind: .fixRejected, reason: Directive.Reason(problem), time: fix.time,
                effectiveAt: fix.time, zoneIDs: [], categories: [], zoneSetName: zones.setName,
                zoneSetVersion: zones.version, detail: problem.description))
    }

    // MARK: - Helpers

    /// Sorts a short list in place (insertion sort: no allocation) and removes repeats.
    static func sortUnique(_ a: inout [UInt32]) {
        guard a.count > 1 else { return }
        let w = a.withUnsafeMutableBufferPointer { a in
            for i in 1..<a.count {
                let v = a[i]
                var j = i
                while j > 0 && a[j - 1] > v {
                    a[j] = a[j - 1]
                    j -= 1
                }
                a[j] = v
            }
            var w = 1
            for i in 1..<a.count where a[i] != a[w - 1] {
                a[w] = a[i]
                w += 1
            }
            return w
        }
        shrink(&a, to: w)
    }

    /// Drops the elements of a scratch list past `count`, keeping its storage: one at a time for
    /// the few a scratch list holds (`removeLast()` is inlined; the range removal is a call into
    /// the generic `replaceSubrange`).
    @inline(__always)
    static func shrink<T>(_ a: inout [T], to count: Int) {
        if a.count - count > 8 {
            a.removeLast(a.count - count)
        } else {
            while a.count > count { a.removeLast() }
        }
    }

    /// Empties a scratch list, keeping its storage.
    @inline(__always)
    static func empty<T>(_ a: inout [T]) { shrink(&a, to: 0) }

    static func contains(_ sorted: [UInt32], _ v: UInt32) -> Bool {
        // Short lists (the common case): a scan, whose branches predict better than a search's.
        if sorted.count <= 16 {
            for x in sorted where x >= v { return x == v }
            return false
        }
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sorted[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == v
    }
}
