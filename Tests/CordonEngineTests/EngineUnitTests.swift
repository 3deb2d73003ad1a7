import CordonCore
@testable import CordonEngine
import CordonFormats
import CordonTestSupport
import Synchronization
import Testing

@Suite("Engine units")
struct EngineUnitTests {
    static let monday = Scenario.base  // 2026-03-02T00:00:00Z, a Monday

    static func at(_ seconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: monday.millisecondsSinceEpoch + seconds * 1000)
    }

    @Test("the scratch lists' sort-and-dedupe and shrink give what Set and sorted give")
    func sortUniqueMatchesSetSorted() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // a fixed sequence: the same cases every run
        for n in 0..<40 {
            for _ in 0..<50 {
                var a = (0..<n).map { _ -> UInt32 in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return UInt32((state >> 33) % UInt64(n / 2 + 1))
                }
                let expected = Array(Set(a)).sorted()
                VehicleTracker.sortUnique(&a)
                #expect(a == expected, "from \(n) elements")
                let keep = a.count / 2
                VehicleTracker.shrink(&a, to: keep)
                #expect(a == Array(expected.prefix(keep)))
                VehicleTracker.empty(&a)
                #expect(a.isEmpty)
            }
        }
    }

    @Test("the touched zones keep their first sightings once each, and their bits are set for exactly those")
    func touchedZonesAndTheirBits() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var scratch = VehicleTracker.Scratch()
        for round in 0..<400 {
            // Zone counts that grow and shrink, as snapshots of different sets would have.
            let zones = [1, 63, 64, 65, 200, 10_000][round % 6]
            scratch.clearTouched()
            #expect(scratch.touchedBits.allSatisfy { $0 == 0 }, "round \(round): bits left from the last fix")
            let found = (0..<next(40)).map { _ in UInt32(next(zones)) }
            scratch.touched += found
            scratch.markTouched(zoneCount: zones)
            var seen = Set<UInt32>()
            #expect(scratch.touched == found.filter { seen.insert($0).inserted }, "round \(round)")
            for z in 0..<UInt32(zones) { #expect(scratch.touches(z) == seen.contains(z), "round \(round), zone \(z)") }
            if round % 3 == 0 {
                scratch.dropTouched { $0 % 2 == 1 }
                #expect(scratch.touched == found.filter { $0 % 2 == 0 }.reduce(into: [UInt32]()) { if !$0.contains($1) { $0.append($1) } })
                for z in 0..<UInt32(zones) { #expect(scratch.touches(z) == (seen.contains(z) && z % 2 == 0)) }
            }
        }
    }

    @Test("an overnight window runs into the next day, which need not be listed")
    func overnightWindow() {
        // Mondays 22:00 to 06:00, UTC.
        let s = CompiledSchedule(Schedule(timeZone: "UTC", windows: [.init(days: [.monday], startMinute: 22 * 60, endMinute: 6 * 60)]))
        #expect(!s.isActive(at: Self.at(21 * 3600 + 3599)))
        #expect(s.isActive(at: Self.at(22 * 3600)))
        #expect(s.isActive(at: Self.at(29 * 3600 + 3599)))  // Tuesday 05:59:59
        #expect(!s.isActive(at: Self.at(30 * 3600)))  // Tuesday 06:00, end exclusive
        #expect(!s.isActive(at: Self.at(-2 * 3600)))  // Sunday 22:00: not listed
    }

    @Test("weekdays and local midnight follow the zone's offset")
    func offsets() {
        // Asia/Shanghai is UTC+8: Monday 00:00 UTC is Monday 08:00 local; Sunday 20:00 UTC is
        // Monday 04:00 local.
        let s = CompiledSchedule(Schedule(timeZone: "Asia/Shanghai", windows: [.init(days: [.monday], startMinute: 0, endMinute: 5 * 60)]))
        #expect(s.isActive(at: Self.at(-4 * 3600)))
        #expect(!s.isActive(at: Self.at(-8 * 3600 - 1)))  // Sunday 23:59:59 local
        #expect(!s.isActive(at: Self.at(0)))  // 08:00 local
    }

    @Test("a snapshot's zone boxes hold every vertex of core and approach, holes and all parts included")
    func zoneBoxes() throws {
        // A hole reaching past its exterior (not valid, but a library caller may pass it: the
        // index keeps its edges all the same), a second part, and an approach larger than the core.
        let core = try #require(
            Fixtures.zone(
                "a", "MULTIPOLYGON (((0 0, 2 0, 2 1, 0 1, 0 0), (0.5 0.2, 3 0.5, 0.5 0.8, 0.5 0.2)), ((-4 -1, -3 -1, -3 -0.5, -4 -1)))"))
        let approach = try #require(Fixtures.zone("b", "POLYGON ((-1 -2, 2.5 -2, 2.5 5, -1 5, -1 -2))")).geometry
        let plain = try #require(Fixtures.zone("c", "POLYGON ((10 10, 11 10, 11 12, 10 10))"))
        let snapshot = ZoneSnapshot(
            ZoneSet(name: "s", version: 1, entries: [.init(zone: core, approach: approach), .init(zone: plain, approach: plain.geometry)]))
        let a = snapshot.bounds[0], c = snapshot.bounds[1]
        #expect([a.minLongitude, a.minLatitude, a.maxLongitude, a.maxLatitude] == [-4, -2, 3, 5])
        #expect([c.minLongitude, c.minLatitude, c.maxLongitude, c.maxLatitude] == [10, 10, 11, 12])
    }

    @Test("validity dates bound enforcement: from inclusive, until exclusive")
    func validity() throws {
        let zone = try #require(Fixtures.zone("a", "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"))
        var z = zone
        z.validFrom = Self.at(10)
        z.validUntil = Self.at(20)
        let snapshot = ZoneSnapshot(ZoneSet(name: "s", version: 1, entries: [.init(zone: z, approach: z.geometry)]))
        let rule = snapshot.rules[0]
        #expect(!rule.isEnforced(at: Self.at(9)))
        #expect(rule.isEnforced(at: Self.at(10)))
        #expect(rule.isEnforced(at: Self.at(19)))
        #expect(!rule.isEnforced(at: Self.at(20)))
        #expect(snapshot.isTimeDependent)
    }

    @Test("configuration overrides are checked by key and value")
    func configuration() throws {
        let c = try EngineConfiguration(overrides: [("exit_hold_s", 12), ("preroll_s", 0)])
        #expect(c.exitHoldSeconds == 12 && c.prerollSeconds == 0 && c.lookaheadSeconds == EngineConfiguration().lookaheadSeconds)
        #expect(c[key: "exit_hold_s"] == 12 && c[key: "nope"] == nil)
        #expect(throws: EngineError.unknownParameter("exit_hold", known: EngineConfiguration.keys)) {
            try EngineConfiguration(overrides: [("exit_hold", 1)])
        }
        #expect(throws: EngineError.invalidParameter("preroll_s", -1)) { try EngineConfiguration(overrides: [("preroll_s", -1)]) }
        for key in EngineConfiguration.keys { #expect(EngineConfiguration()[key: key] != nil) }
    }

    @Test("concurrent evaluation of different vehicles gives what sequential evaluation gives")
    func concurrentFleet() async throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/drive-through.json"))
        let fixes: [PositionFix] = scenario.steps.compactMap { if case .fix(let f) = $0 { f } else { nil } }
        let snapshot = ZoneSnapshot(scenario.zoneSets[0])
        let vehicles = (0..<16).map { "V\($0)" }
        let engine = FleetEngine(zones: snapshot)
        let lines = await withTaskGroup(of: (String, [String]).self) { group in
            for v in vehicles {
                group.addTask {
                    var out: [String] = []
                    for var f in fixes {
                        f.vehicleID = v
                        out += engine.evaluate(f).map(\.jsonLine)
                    }
                    return (v, out)
                }
            }
            var all: [String: [String]] = [:]
            for await (v, out) in group { all[v] = out }
            return all
        }
        let sequential = FleetEngine(zones: snapshot)
        for v in vehicles {
            var expected: [String] = []
            for var f in fixes {
                f.vehicleID = v
                expected += sequential.evaluate(f).map(\.jsonLine)
            }
            #expect(lines[v] == expected)
            #expect(expected.count == 4)
        }
        #expect(engine.vehicleCount == 16)
        #expect(engine.state(of: "V3")?.enters == 1)
    }

    @Test("the vehicle limit admits known vehicles always and new ones while they fit")
    func vehicleLimit() throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/drive-through.json"))
        guard case .fix(let first)? = scenario.steps.first(where: { if case .fix = $0 { true } else { false } }) else {
            Issue.record("the scenario has no fix")
            return
        }
        let engine = FleetEngine(zones: ZoneSnapshot(scenario.zoneSets[0]), maximumVehicles: 3)
        #expect(engine.admits(["A", "B", "C"], count: 3) && !engine.admits(["A", "B", "C", "D"], count: 4))
        #expect(engine.admits(["A", "A", "A", "B", "B"], count: 5))  // repeats count once
        for id in ["A", "B"] {
            var f = first
            f.vehicleID = id
            _ = engine.evaluate(f)
        }
        #expect(engine.vehicleCount == 2 && engine.knows("A") && !engine.knows("C"))
        #expect(engine.admits(["A", "B", "C", "A"], count: 4) && !engine.admits(["C", "D"], count: 2))
        // Restored states count too; past the limit only known vehicles are admitted.
        var saved = VehicleState(vehicleID: "E").saved
        engine.restore([saved])
        saved = VehicleState(vehicleID: "F").saved
        engine.restore([saved, saved])
        #expect(engine.vehicleCount == 4)
        #expect(engine.admits(["A", "F", "E"], count: 3) && !engine.admits(["A", "G"], count: 2))
    }

    @Test("eviction drops idle vehicles whose state did not change since it was taken; a restore brings them back")
    func eviction() throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/drive-through.json"))
        let fixes: [PositionFix] = scenario.steps.compactMap { if case .fix(let f) = $0 { f } else { nil } }
        let engine = FleetEngine(zones: ZoneSnapshot(scenario.zoneSets[0]))
        for id in ["A", "B"] {
            for var f in fixes.prefix(3) {
                f.vehicleID = id
                _ = engine.evaluate(f)
            }
        }
        let last = try #require(engine.state(of: "A")?.lastTime)
        #expect(engine.idleStates(lastFixBefore: last).isEmpty)
        let idle = engine.idleStates(lastFixBefore: Timestamp(millisecondsSinceEpoch: last.millisecondsSinceEpoch + 1))
        #expect(Set(idle.map(\.vehicleID)) == ["A", "B"])
        // B sends a fix after its state was taken: it stays; A goes.
        var next = fixes[3]
        next.vehicleID = "B"
        _ = engine.evaluate(next)
        #expect(engine.evict(idle) == 1)
        #expect(engine.vehicleCount == 1 && !engine.knows("A") && engine.knows("B"))
        // A comes back from its saved state; a restore that does not replace keeps B's newer one.
        let b = try #require(engine.state(of: "B"))
        engine.restore(idle, replacing: false)
        #expect(engine.vehicleCount == 2 && engine.state(of: "A")?.seq == idle.first { $0.vehicleID == "A" }?.seq)
        #expect(engine.state(of: "B")?.fixesApplied == b.fixesApplied)
    }

    @Test("a fix that issues directives reports the vehicle's state after it; other fixes report nothing")
    func changedStatesFollowDirectives() throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/drive-through.json"))
        let fixes: [PositionFix] = scenario.steps.compactMap { if case .fix(let f) = $0 { f } else { nil } }
        let snapshot = ZoneSnapshot(scenario.zoneSets[0])
        let engine = FleetEngine(zones: snapshot), plain = FleetEngine(zones: snapshot)
        var reported = 0
        for (k, fix) in fixes.enumerated() {
            var out: [Directive] = [], changed: [VehicleState.Saved] = []
            // Single fixes and one-fix batches alike.
            if k % 2 == 0 {
                engine.evaluate(fix, zones: snapshot, into: &out, changed: &changed)
            } else {
                out = engine.evaluate([fix], changed: &changed).results[0]
            }
            #expect(out.map(\.jsonLine) == plain.evaluate(fix).map(\.jsonLine))
            #expect(changed.count == (out.isEmpty ? 0 : 1), "fix \(k)")
            if let saved = changed.first {
                #expect(saved == engine.state(of: fix.vehicleID)?.saved)
                #expect(saved.seq == out.last?.seq)
                reported += 1
            }
        }
        #expect(reported == 2)  // the enter (two directives) and the exit (two)
    }

    @Test("spellings of one vehicle id equal as strings are one vehicle")
    func canonicallyEqualIds() throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/drive-through.json"))
        let fixes: [PositionFix] = scenario.steps.compactMap { if case .fix(let f) = $0 { f } else { nil } }
        let snapshot = ZoneSnapshot(scenario.zoneSets[0])
        let (composed, decomposed) = ("car-\u{e9}", "car-e\u{301}")
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
        for shards in [2, 3, 5, 64] {
            let one = FleetEngine(zones: snapshot, shards: shards), mixed = FleetEngine(zones: snapshot, shards: shards)
            var expected: [String] = [], got: [String] = []
            for (k, var f) in fixes.enumerated() {
                f.vehicleID = composed
                expected += one.evaluate(f).map(\.jsonLine)
                f.vehicleID = k % 2 == 0 ? composed : decomposed
                got += mixed.evaluate(f).map(\.jsonLine)
            }
            #expect(mixed.vehicleCount == 1, "\(shards) shards")
            #expect(got == expected && !expected.isEmpty, "\(shards) shards")
        }
    }

    @Test("a batch is evaluated against one snapshot even while versions are swapped under it")
    func batchSnapshot() async throws {
        let scenario = try Scenario.load(Fixtures.path("zones/cases/swap-keeps-zone.json"))
        let track: [PositionFix] = scenario.steps.compactMap { if case .fix(let f) = $0 { f } else { nil } }
        let v1 = ZoneSnapshot(scenario.zoneSets[0]), v2 = ZoneSnapshot(scenario.zoneSets[1])
        let engine = FleetEngine(zones: v1)
        // Each batch drives fresh vehicles through the zone, so every batch emits directives,
        // and each of them names the version the batch ran on, while another task keeps
        // swapping versions.
        let batches = 200
        let done = Flag()
        let versions = await withTaskGroup(of: [Int].self) { group in
            group.addTask {
                var k = 0
                while !done.value.load(ordering: .acquiring) {
                    engine.activate(k % 2 == 0 ? v2 : v1)
                    k += 1
                }
                return []
            }
            group.addTask {
                var mixed: [Int] = []
                for b in 0..<batches {
                    let fixes = track.map { var f = $0; f.vehicleID = "B\(b)"; return f }
                    let (used, results) = engine.evaluate(fixes)
                    let named = Set(results.joined().map(\.zoneSetVersion))
                    #expect(results.count == fixes.count)
                    #expect(named == [used.version], "batch \(b) ran on \(used.version) but names \(named)")
                    mixed.append(used.version)
                }
                done.value.store(true, ordering: .releasing)
                return mixed
            }
            var all: [Int] = []
            for await v in group { all += v }
            return all
        }
        #expect(versions.count == batches)
        engine.activate(v2)
        #expect(engine.zones.version == 2)
        var after = track[0]
        after.vehicleID = "late"
        after.coordinate = Coordinate(longitude: 116.005, latitude: 40.005)
        let late = engine.evaluate(after)
        #expect(!late.isEmpty && late.allSatisfy { $0.zoneSetVersion == 2 }, "a fix after the swap is evaluated on version 2")
    }
}

/// A flag shared between tasks (Atomic is not copyable, so it lives in a class).
final class Flag: Sendable {
    let value = Atomic(false)
}
