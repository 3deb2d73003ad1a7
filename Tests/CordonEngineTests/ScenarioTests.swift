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

    static func run(_ scenario: Scenario) throws -> [Directive] {
        let configuration = try EngineConfiguration(overrides: scenario.configuration)
        let snapshots = scenario.zoneSets.map { ZoneSnapshot($0) }
        let engine = FleetEngine(zones: snapshots[0], configuration: configuration)
        var out: [Directive] = []
        for step in scenario.steps {
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
