import CordonCore
import CordonEngine
import CordonFormats
import CordonTestSupport
import Foundation
import Testing

/// The wire form of directives against docs/schemas/directive.schema.json and
/// docs/directives.md.
@Suite("Directive schema")
struct DirectiveSchemaTests {
    static func schema() throws -> JSONSchema {
        let path = Fixtures.path("docs/schemas/directive.schema.json")
        let bytes = try #require(FileManager.default.contents(atPath: path), "\(path) missing")
        return JSONSchema(try JSONParser().parse(Array(bytes), file: path))
    }

    /// Every directive every scenario produces.
    static func allDirectives() throws -> [Directive] {
        try ScenarioTests.names.flatMap { try ScenarioTests.run(Scenario.load("\(ScenarioTests.directory)/\($0).json")) }
    }

    @Test("every directive of every scenario validates, and every kind and reason occurs")
    func scenariosValidate() throws {
        let schema = try Self.schema()
        let directives = try Self.allDirectives()
        var kinds = Set<Directive.Kind>(), reasons = Set<Directive.Reason>()
        for d in directives {
            let line = d.jsonLine
            let parsed = try JSONParser().parse(Array(line.utf8), file: "line")
            #expect(parsed == d.json, "the NDJSON line reads back as written: \(line)")
            #expect(try schema.validate(parsed) == [], "\(line)")
            #expect(d.effectiveAt <= d.time, "\(line)")
            kinds.insert(d.kind)
            reasons.insert(d.reason)
        }
        #expect(kinds == Set(Directive.Kind.allCases), "kinds never produced: \(Set(Directive.Kind.allCases).subtracting(kinds))")
        #expect(reasons == Set(Directive.Reason.allCases), "reasons never produced: \(Set(Directive.Reason.allCases).subtracting(reasons))")
    }

    @Test("the NDJSON line is byte for byte the compact JSONWriter text of the directive's JSON value")
    func lineEqualsTheWriterText() throws {
        var directives = try Self.allDirectives()
        // Text that needs escaping, non-ASCII, empty lists, fractional and large numbers.
        let t = Timestamp(millisecondsSinceEpoch: 1_772_438_400_123)
        directives.append(
            Directive(
                vehicleID: "v\"1\\ é\n\u{1}", seq: 123_456_789, kind: .dataCoarsenBegin, reason: .escalate, time: t,
                effectiveAt: Timestamp(millisecondsSinceEpoch: -5), zoneIDs: ["a,b", "ünï", "\t"], categories: [.military, .custom],
                zoneSetName: "set \"x\"", zoneSetVersion: 7, precisionMeters: 12.5, detail: "line\r\n2"))
        directives.append(
            Directive(
                vehicleID: "", seq: 1, kind: .cameraDisable, reason: .enter, time: t, effectiveAt: t, zoneIDs: [], categories: [],
                zoneSetName: "", zoneSetVersion: 0, cameras: [.exterior, .cabin]))
        // Every control character, DEL and a 4-byte scalar; numbers at the edges of the integer path.
        let controls = String(decoding: (0..<0x20).map { UInt8($0) } + [0x7F], as: UTF8.self) + "😀"
        for (seq, version, precision) in [(0, -3, 0.5), (9_007_199_254_740_991, Int.max, 1e21), (-1, 1 << 53, -0.0), (10, 100, 1e16)] {
            directives.append(
                Directive(
                    vehicleID: controls, seq: seq, kind: .dataCoarsenEnd, reason: .exit, time: Timestamp(millisecondsSinceEpoch: 400_000_000_000_000),
                    effectiveAt: t, zoneIDs: [controls, ""], categories: [.government], zoneSetName: controls, zoneSetVersion: version,
                    precisionMeters: precision, detail: controls))
        }
        var compared = 0
        for d in directives {
            #expect(d.jsonLine == JSONWriter().string(d.json))
            compared += 1
        }
        #expect(compared > 20)
    }

    @Test("sequence numbers run from 1 without gaps for each vehicle")
    func sequenceNumbers() throws {
        for name in ScenarioTests.names {
            var next: [String: Int] = [:]
            for d in try ScenarioTests.run(Scenario.load("\(ScenarioTests.directory)/\(name).json")) {
                #expect(d.seq == next[d.vehicleID, default: 1], "\(name): \(d.jsonLine)")
                next[d.vehicleID] = d.seq + 1
            }
        }
    }

    @Test(
        "the schema refuses malformed directives",
        arguments: [
            ("missing seq", #"{"vehicle_id":"V","kind":"data.drop.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1}"#),
            ("unknown kind", #"{"vehicle_id":"V","seq":1,"kind":"camera.off","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1}"#),
            ("camera kind without cameras", #"{"vehicle_id":"V","seq":1,"kind":"camera.disable","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1}"#),
            ("cameras on a data kind", #"{"vehicle_id":"V","seq":1,"kind":"data.drop.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1,"cameras":["cabin"]}"#),
            ("coarsen without precision", #"{"vehicle_id":"V","seq":1,"kind":"data.coarsen.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["custom"],"zone_set":"s","zone_set_version":1}"#),
            ("local time", #"{"vehicle_id":"V","seq":1,"kind":"data.drop.begin","reason":"enter","time":"2026-03-02T08:00:00+08:00","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1}"#),
            ("extra member", #"{"vehicle_id":"V","seq":1,"kind":"data.drop.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["military"],"zone_set":"s","zone_set_version":1,"geometry":[]}"#),
            ("begin without zones", #"{"vehicle_id":"V","seq":1,"kind":"data.drop.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":[],"categories":[],"zone_set":"s","zone_set_version":1}"#),
            ("rejection with an enter reason", #"{"vehicle_id":"V","seq":1,"kind":"fix.rejected","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":[],"categories":[],"zone_set":"s","zone_set_version":1,"detail":"x"}"#),
            ("unknown category", #"{"vehicle_id":"V","seq":1,"kind":"data.drop.begin","reason":"enter","time":"2026-03-02T00:00:00Z","effective_at":"2026-03-02T00:00:00Z","zone_ids":["a"],"categories":["police"],"zone_set":"s","zone_set_version":1}"#),
        ])
    func refusesMalformed(_ label: String, _ text: String) throws {
        let value = try JSONParser().parse(Array(text.utf8), file: label)
        #expect(try Self.schema().validate(value) != [], "\(label) should be refused")
    }

    @Test("docs/directives.md describes every kind and reason with an example")
    func documented() throws {
        let path = Fixtures.path("docs/directives.md")
        let text = try #require(FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) })
        for kind in Directive.Kind.allCases {
            #expect(text.contains("### `\(kind.rawValue)`"), "no section for \(kind.rawValue)")
            #expect(text.contains("\"kind\":\"\(kind.rawValue)\""), "no example of \(kind.rawValue)")
        }
        // The examples themselves are valid directives.
        let schema = try Self.schema()
        let examples = text.split(separator: "\n").filter { $0.hasPrefix("{\"vehicle_id\"") }
        #expect(examples.count >= Directive.Kind.allCases.count)
        for line in examples {
            #expect(try schema.validate(JSONParser().parse(Array(line.utf8), file: "docs/directives.md")) == [], "\(line)")
        }
        for reason in Directive.Reason.allCases { #expect(text.contains("`\(reason.rawValue)`"), "reason \(reason.rawValue) not described") }
        for key in EngineConfiguration.keys { #expect(text.contains("`\(key)`"), "parameter \(key) not described") }
    }
}
