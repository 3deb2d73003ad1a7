import CordonCore
import CordonEngine
import CordonFormats
import CordonTestSupport
import Foundation
import Testing

/// The scenarios of zones/cases/*.json, each run through `FleetEngine` and compared with its
/// expected directives (zones/cases/README.md).
@Suite("Scenarios")
struct ScenarioTests {
    static let directory = Fixtures.path("zones/cases")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    @Test("there are at least 25 scenarios")
    func enoughScenarios() {
        #expect(Self.names.count >= 25, "found \(Self.names)")
    }

    @Test("scenario", arguments: names)
    func scenario(_ name: String) throws {
        let scenario = try Scenario.load("\(Self.directory)/\(name).json")
        let actual = try Self.run(scenario)
        let lines = actual.map(\.jsonLine).joined(separator: "\n")
        #expect(actual.count == scenario.expected.count, "\(name): \(actual.count) directives, expected \(scenario.expected.count):\n\(lines)")
        for (k, (directive, expected)) in zip(actual, scenario.expected).enumerated() {
            guard case .object(let members) = directive.json else { continue }
            for want in expected {
                let got = members.first(where: { $0.key == want.key })?.value
                #expect(got == want.value, "\(name): directive \(k + 1) \(want.key) is \(got.map { JSONWriter().string($0) } ?? "missing"), expected \(JSONWriter().string(want.value)):\n\(lines)")
            }
        }
    }

    @Test("the same scenario gives byte-identical NDJSON twice")
    func deterministic() throws {
        for name in Self.names {
            let scenario = try Scenario.load("\(Self.directory)/\(name).json")
            let a = try Self.run(scenario).map(\.jsonLine)
            let b = try Self.run(scenario).map(\.jsonLine)
            #expect(a == b, "\(name)")
        }
    }

    /// A restart anywhere: the vehicle states saved after any step (through their stored JSON
    /// text) and restored into a new engine on the version then active give, from there on,
    /// exactly the directives of the uninterrupted run: `seq` continues, holds and their clear
    /// runs carry over, and a zone a swap removed is released at the next fix as it would be.
    @Test("saving and restoring the vehicle states at any step changes no directive")
    func restartAnywhere() throws {
        var splits = 0
        for name in Self.names {
            let scenario = try Scenario.load("\(Self.directory)/\(name).json")
            let expected = try Self.run(scenario).map(\.jsonLine)
            for k in stride(from: 1, to: scenario.steps.count, by: max(1, scenario.steps.count / 40)) {
                let got = try Self.run(scenario, restartAt: k).map(\.jsonLine)
                #expect(got == expected, "\(name): restart after step \(k)")
                splits += 1
            }
        }
        #expect(splits > 500)
    }

    @Test("a stored state that is not one is refused, not guessed")
    func savedStateRefusesMalformedJSON() throws {
        let good = try JSONParser().parse(
            Array(#"{"vehicle_id":"V1","seq":3,"last_time_ms":1000,"last_lon":116.0,"last_lat":40.0,"cameras":["exterior"],"data":"coarsen","coarsen_m":500,"holds":[{"zone":"base","category":"military","clear_since_ms":null}],"fixes_applied":2,"fixes_rejected":1,"enters":1}"#.utf8),
            file: "state")
        let saved = try #require(VehicleState.Saved(json: good))
        #expect(saved.seq == 3 && saved.holds.map(\.zoneID) == ["base"] && saved.data == .coarsen(meters: 500))
        #expect(VehicleState.Saved(json: saved.json) == saved)
        guard case .object(let members) = good else { return }
        for (key, bad) in [
            ("seq", JSONValue.number(-1)), ("seq", .number(1.5)), ("data", .string("shred")), ("cameras", .array([.string("roof")])),
            ("last_lat", .number(95)), ("last_lat", .null), ("holds", .array([.object([])])), ("vehicle_id", .number(1)),
        ] {
            let changed = JSONValue.object(members.map { $0.key == key ? JSONMember(key, bad) : $0 })
            #expect(VehicleState.Saved(json: changed) == nil, "\(key) = \(bad)")
        }
    }

    static func run(_ scenario: Scenario, restartAt restart: Int? = nil) throws -> [Directive] {
        let configuration = try EngineConfiguration(overrides: scenario.configuration)
        let snapshots = scenario.zoneSets.map { ZoneSnapshot($0) }
        var engine = FleetEngine(zones: snapshots[0], configuration: configuration)
        var out: [Directive] = []
        for (k, step) in scenario.steps.enumerated() {
            if k == restart {
                let stored = engine.savedStates().map { JSONWriter().string($0.json) }
                let restarted = FleetEngine(zones: engine.zones, configuration: configuration)
                restarted.restore(try stored.map { text in
                    let json = try JSONParser().parse(Array(text.utf8), file: "state")
                    return try #require(VehicleState.Saved(json: json))
                })
                engine = restarted
            }
            switch step {
            case .fix(let fix):
                out += engine.evaluate(fix)
            case .activate(let version):
                guard let s = snapshots.first(where: { $0.version == version }) else {
                    throw FixtureError(message: "\(scenario.name): no zone set version \(version)")
                }
                engine.activate(s)
            }
        }
        return out
    }
}
