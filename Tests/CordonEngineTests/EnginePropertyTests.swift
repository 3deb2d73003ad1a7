#if canImport(Glibc)
import Glibc
#endif
import CordonCore
import CordonEngine
import CordonGEOS
import CordonTestSupport
import PropertyBased
import Testing

/// Properties of the state machine over random trips through the shared zones (one city's
/// zones with their GEOS approach buffers), checked against a brute-force geometric oracle
/// that shares no code with the index.
@Suite("Engine properties")
struct EnginePropertyTests {
    /// The shared zones around one city, with approach polygons buffered by GEOS.
    static let city: Result<City, FixtureError> = {
        do { return .success(try City.load()) } catch let e as FixtureError { return .failure(e) } catch {
            return .failure(FixtureError(message: "\(error)"))
        }
    }()

    struct City: Sendable {
        let snapshot: ZoneSnapshot
        let approaches: [MultiPolygon]
        let boxes: [BoundingBox]

        static func load() throws -> City {
            let all = try Fixtures.sharedZones()
            let anchor = all[0].geometry.boundingBox.center
            let near = all.filter {
                let c = $0.geometry.boundingBox.center
                return abs(c.latitude - anchor.latitude) < 0.12 && abs(c.longitude - anchor.longitude) < 0.12
            }
            let geos = try GEOSContext()
            var entries: [ZoneSet.Entry] = []
            for zone in near {
                entries.append(ZoneSet.Entry(zone: zone, approach: try geos.approach(of: zone.geometry, meters: zone.bufferMeters)))
            }
            let set = ZoneSet(name: "city", version: 1, entries: entries)
            return City(snapshot: ZoneSnapshot(set), approaches: entries.map(\.approach), boxes: entries.map(\.approach.boundingBox))
        }

        /// Metres from `c` to approach polygon `z` (0 inside; closed), on the same sphere as
        /// the engine but by brute force over every edge.
        func distance(from c: Coordinate, to z: Int) -> Double {
            if Self.contains(approaches[z], c) { return 0 }
            let plane = LocalProjection(center: c, radius: WGS84.authalicRadius)
            var best = Double.infinity
            for polygon in approaches[z].polygons {
                for ring in polygon.rings {
                    let pts = ring.coordinates.map(plane.forward)
                    for k in 1..<pts.count {
                        let (p, q) = (pts[k - 1], pts[k])
                        let dx = q.x - p.x, dy = q.y - p.y
                        let len2 = dx * dx + dy * dy
                        let t = len2 == 0 ? 0 : max(0, min(1, -(p.x * dx + p.y * dy) / len2))
                        best = min(best, ((p.x + t * dx) * (p.x + t * dx) + (p.y + t * dy) * (p.y + t * dy)).squareRoot())
                    }
                }
            }
            return best
        }

        /// Even-odd ray test over all rings (holes included).
        static func contains(_ g: MultiPolygon, _ c: Coordinate) -> Bool {
            var inside = false
            for polygon in g.polygons {
                for ring in polygon.rings {
                    let v = ring.coordinates
                    for k in 1..<v.count {
                        let a = v[k - 1], b = v[k]
                        if (a.latitude > c.latitude) != (b.latitude > c.latitude) {
                            let x = a.longitude + (c.latitude - a.latitude) / (b.latitude - a.latitude) * (b.longitude - a.longitude)
                            if c.longitude < x { inside.toggle() }
                        }
                    }
                }
            }
            return inside
        }

        /// Zones whose approach box lies within `metres` of `c` (a cheap prefilter).
        func candidates(_ c: Coordinate, metres: Double) -> [Int] {
            let dLat = metres / 111_000 + 1e-6, dLon = dLat / max(cos(c.latitude * .pi / 180), 0.01)
            return boxes.indices.filter {
                let b = boxes[$0]
                return c.longitude >= b.minLongitude - dLon && c.longitude <= b.maxLongitude + dLon
                    && c.latitude >= b.minLatitude - dLat && c.latitude <= b.maxLatitude + dLat
            }
        }
    }

    /// A reported fix and where the vehicle truly was.
    struct Sample {
        var fix: PositionFix
        var truth: Coordinate
    }

    /// A random trip: starts 0.3–2.5 km from a random zone, 600 s at 1 Hz with a random walk in
    /// speed and heading, jitter up to `jitter` metres, random gaps, invalid fixes and
    /// inaccurate fixes (unless `calm`).
    static func trip(_ seed: Int, city: City, jitter: Double, calm: Bool) -> [Sample] {
        var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
        let rules = city.snapshot.rules
        let target = city.boxes[Int(rng.next() % UInt64(rules.count))].center
        let metresPerDegree = WGS84.authalicRadius * .pi / 180
        func move(_ c: Coordinate, _ d: Double, _ heading: Double) -> Coordinate {
            let h = heading * .pi / 180
            return Coordinate(
                longitude: c.longitude + d * sin(h) / (metresPerDegree * cos(c.latitude * .pi / 180)),
                latitude: c.latitude + d * cos(h) / metresPerDegree)
        }
        let bearing = rng.unit() * 360
        var position = move(target, 300 + rng.unit() * 2200, bearing)
        var heading = (bearing + 180 + (rng.unit() - 0.5) * 120).truncatingRemainder(dividingBy: 360)
        var speed = calm ? rng.unit() * 2 : 5 + rng.unit() * 10
        var out: [Sample] = []
        var t = 0
        while t < 600 {
            speed = calm ? max(0, min(3, speed + (rng.unit() - 0.5))) : max(0, min(25, speed + (rng.unit() - 0.5) * 3))
            heading = (heading + (rng.unit() - 0.5) * 30 + 360).truncatingRemainder(dividingBy: 360)
            position = move(position, speed, heading)
            t += 1
            if !calm && rng.unit() < 0.01 { t += 5 + Int(rng.next() % 36) }  // a gap
            let r = jitter * rng.unit().squareRoot(), a = rng.unit() * 360
            let reported = move(position, r, a)
            let time = Timestamp(millisecondsSinceEpoch: Scenario.base.millisecondsSinceEpoch + Int64(t) * 1000)
            var fix = PositionFix(vehicleID: "T\(seed)", time: time, coordinate: reported)
            if calm {
                fix.accuracy = 5
            } else {
                let roll = rng.unit()
                fix.accuracy = roll < 0.2 ? nil : roll < 0.9 ? 2 + rng.unit() * 28 : 100 + rng.unit() * 300
                fix.speed = speed
                fix.heading = heading
                if rng.unit() < 0.005 { fix.coordinate = Coordinate(longitude: reported.longitude, latitude: 95) }
            }
            out.append(Sample(fix: fix, truth: position))
        }
        return out
    }

    static func seeds(_ count: Int, _ salt: UInt64) -> [Int] {
        var source = Xoshiro(seed: (0x656E_6769_6E65, salt, 0x2026_1121, 5))
        return Gen.int(in: 1...Int.max).array(of: count...count).run(using: &source)
    }

    @Test("never a leak: a fix whose accuracy disk touches an approach polygon is under that zone's policy")
    func neverALeak() throws {
        let city = try Self.city.get()
        let configuration = EngineConfiguration()
        var touching = 0, fixes = 0
        for seed in Self.seeds(60, 1) {
            var state = VehicleState(vehicleID: "T\(seed)")
            var scratch = VehicleTracker.Scratch()
            var cameras: CameraGroups = []
            var data = DataAction.none
            for sample in Self.trip(seed, city: city, jitter: 10, calm: false) {
                var out: [Directive] = []
                VehicleTracker.apply(sample.fix, to: &state, zones: city.snapshot, configuration: configuration, scratch: &scratch, into: &out)
                // What the vehicle obeys: the directives replayed in order.
                for d in out {
                    switch d.kind {
                    case .cameraDisable: cameras.formUnion(d.cameras)
                    case .cameraEnable: cameras.subtract(d.cameras)
                    case .dataDropBegin: data = .drop
                    case .dataLocalOnlyBegin: data = .localOnly
                    case .dataCoarsenBegin: data = .coarsen(meters: d.precisionMeters ?? 0)
                    case .dataDropEnd: if data == .drop { data = .none }
                    case .dataLocalOnlyEnd: if data == .localOnly { data = .none }
                    case .dataCoarsenEnd: if case .coarsen = data, d.precisionMeters == Self.precision(data) { data = .none }
                    case .fixRejected: break
                    }
                }
                guard out.first?.kind != .fixRejected, let c = sample.fix.coordinate else { continue }
                fixes += 1
                let radius = min(sample.fix.accuracy ?? 0, configuration.maxAccuracyMeters)
                for z in city.candidates(c, metres: radius + 1) where city.distance(from: c, to: z) <= max(0, radius - 1e-6) {
                    touching += 1
                    let policy = city.snapshot.rules[z].policy
                    #expect(cameras.isSuperset(of: policy.cameras), "seed \(seed) \(sample.fix.time): cameras \(cameras.names) in zone \(city.snapshot.rules[z].id)")
                    #expect(DataAction.strictest(data, policy.data) == data, "seed \(seed) \(sample.fix.time): data \(data) in zone \(city.snapshot.rules[z].id) (\(policy.data))")
                }
            }
        }
        #expect(fixes > 25_000)
        #expect(touching > 1_000, "the trips must actually reach zones (\(touching) touching fixes)")
    }

    static func precision(_ a: DataAction) -> Double? {
        if case .coarsen(let m) = a { return m }
        return nil
    }

    @Test("no flapping: with jitter below the exit margin a zone takes hold at most once per visit")
    func noFlapping() throws {
        let city = try Self.city.get()
        let configuration = EngineConfiguration()
        let jitter = 20.0  // below exit_margin_m / 2
        var totalEnters = 0
        for seed in Self.seeds(60, 2) {
            var state = VehicleState(vehicleID: "T\(seed)")
            var scratch = VehicleTracker.Scratch()
            var starts: [String: Int] = [:]
            // Visits per zone from the true path (see docs/testing.md): a visit begins when the
            // true position comes within accuracy + jitter, and can end only after a run of
            // exit_hold_s with the true position beyond accuracy + margin − jitter.
            var visits: [Int: Int] = [:]
            var inVisit: Set<Int> = [], farSince: [Int: Timestamp] = [:]
            for sample in Self.trip(seed, city: city, jitter: jitter, calm: true) {
                let before = Set(state.heldZoneIDs)
                var out: [Directive] = []
                VehicleTracker.apply(sample.fix, to: &state, zones: city.snapshot, configuration: configuration, scratch: &scratch, into: &out)
                for id in Set(state.heldZoneIDs).subtracting(before) { starts[id, default: 0] += 1 }
                let accuracy = sample.fix.accuracy ?? 0
                let t = sample.fix.time
                for z in city.candidates(sample.truth, metres: accuracy + configuration.exitMarginMeters + jitter) {
                    let d = city.distance(from: sample.truth, to: z)
                    if d <= accuracy + jitter + 1e-6 {
                        if !inVisit.contains(z) { visits[z, default: 0] += 1; inVisit.insert(z) }
                        farSince[z] = nil
                    } else if d > accuracy + configuration.exitMarginMeters - jitter + 1e-6 {
                        let since = farSince[z] ?? t
                        farSince[z] = since
                        if Double(t.millisecondsSinceEpoch - since.millisecondsSinceEpoch) >= configuration.exitHoldSeconds * 1000 {
                            inVisit.remove(z)
                        }
                    } else {
                        farSince[z] = nil
                    }
                }
                // Zones out of the candidate range are far.
                for z in inVisit where city.distance(from: sample.truth, to: z) > accuracy + configuration.exitMarginMeters + jitter {
                    let since = farSince[z] ?? t
                    farSince[z] = since
                    if Double(t.millisecondsSinceEpoch - since.millisecondsSinceEpoch) >= configuration.exitHoldSeconds * 1000 { inVisit.remove(z) }
                }
            }
            for (id, n) in starts {
                let z = Int(try #require(city.snapshot.number(of: id)))
                #expect(n <= visits[z, default: 0], "seed \(seed): zone \(id) took hold \(n) times in \(visits[z, default: 0]) visits")
            }
            #expect(state.enters <= visits.values.reduce(0, +), "seed \(seed)")
            totalEnters += state.enters
        }
        #expect(totalEnters > 10, "the trips must actually enter zones")
    }
}
