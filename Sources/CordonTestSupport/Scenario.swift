public import CordonCore
import CordonFormats
import Foundation

/// A data-driven engine scenario from `zones/cases/*.json` (format: zones/cases/README.md):
/// zone-set versions written as WKT, a list of fixes (literal or generated tracks) with
/// zone-set activations between them, and the expected directives as partial wire objects.
///
/// A value; `Sendable`. Loading validates everything and throws a `FixtureError` naming the
/// file and the item.
public struct Scenario: Sendable {
    /// One step: apply a fix, or make a zone-set version the active one.
    /// A value; `Sendable`.
    public enum Step: Sendable {
        case fix(PositionFix)
        case activate(version: Int)
    }

    public var name: String
    public var description: String
    /// Engine parameters overridden by the scenario (file keys).
    public var configuration: [(key: String, value: Double)]
    /// By version; the first is active at the start.
    public var zoneSets: [ZoneSet]
    public var steps: [Step]
    /// Expected directives in order: each listed member must equal the actual one.
    public var expected: [[JSONMember]]

    /// The base instant of relative times (`"t": seconds`): 2026-03-02T00:00:00Z.
    public static let base = Timestamp(millisecondsSinceEpoch: 1_772_409_600_000)

    public static func load(_ path: String) throws -> Scenario {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        func fail(_ message: String) -> FixtureError { FixtureError(message: "\(path): \(message)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read") }
        let root = try JSONParser().parse(Array(data), file: path)
        var scenario = Scenario(name: name, description: root["description"]?.stringValue ?? "", configuration: [], zoneSets: [], steps: [], expected: [])
        if case .object(let members)? = root["config"] {
            for m in members {
                guard let v = m.value.numberValue else { throw fail("config \(m.key) must be a number") }
                scenario.configuration.append((m.key, v))
            }
        }
        // Zone sets: "zones" is shorthand for one version 1.
        var rawSets: [JSONValue] = root["zone_sets"]?.arrayValue ?? []
        if let zones = root["zones"] {
            rawSets.insert(.object([JSONMember("version", .number(1)), JSONMember("zones", zones)]), at: 0)
        }
        guard !rawSets.isEmpty else { throw fail("needs \"zones\" or \"zone_sets\"") }
        for (k, raw) in rawSets.enumerated() {
            guard let version = raw["version"]?.numberValue, let zones = raw["zones"]?.arrayValue else {
                throw fail("zone_sets[\(k)] needs \"version\" and \"zones\"")
            }
            var entries: [ZoneSet.Entry] = []
            for (z, zone) in zones.enumerated() {
                entries.append(try entry(zone, label: "zone_sets[\(k)].zones[\(z)]", fail))
            }
            scenario.zoneSets.append(ZoneSet(name: "cases", version: Int(version), entries: entries))
        }
        guard let fixes = root["fixes"]?.arrayValue else { throw fail("needs \"fixes\"") }
        for (k, item) in fixes.enumerated() {
            try steps(item, label: "fixes[\(k)]", fail, into: &scenario.steps)
        }
        guard let expect = root["expect"]?.arrayValue else { throw fail("needs \"expect\"") }
        for (k, item) in expect.enumerated() {
            guard case .object(let members) = item else { throw fail("expect[\(k)] must be an object") }
            scenario.expected.append(members)
        }
        return scenario
    }

    static func entry(_ raw: JSONValue, label: String, _ fail: (String) -> FixtureError) throws -> ZoneSet.Entry {
        guard case .object(let members) = raw, let wkt = raw["wkt"]?.stringValue, let id = raw["id"]?.stringValue else {
            throw fail("\(label) needs \"id\" and \"wkt\"")
        }
        var options = ZoneReadOptions()
        options.defaultProperties = members.filter { $0.key != "wkt" && $0.key != "approach_wkt" && $0.key != "id" }
        let result = try WKTReader(options: options).read(Array("\(id)\t\(wkt)\n".utf8), file: label)
        guard let zone = result.zones.first?.zone, !result.hasErrors else {
            throw fail("\(label): \(result.diagnostics.map(\.description).joined(separator: "; "))")
        }
        var approach = zone.geometry
        if let text = raw["approach_wkt"]?.stringValue {
            guard let g = Fixtures.geometry(text) else { throw fail("\(label): bad approach_wkt") }
            approach = g
        }
        return ZoneSet.Entry(zone: zone, approach: approach)
    }

    static func time(_ raw: JSONValue, label: String, _ fail: (String) -> FixtureError) throws -> Timestamp {
        if let t = raw["t"]?.numberValue { return Timestamp(millisecondsSinceEpoch: base.millisecondsSinceEpoch + Int64((t * 1000).rounded())) }
        if let s = raw["time"]?.stringValue, let t = Timestamp(iso8601: s) { return t }
        throw fail("\(label) needs \"t\" (seconds after the base) or \"time\" (ISO 8601)")
    }

    static func steps(_ raw: JSONValue, label: String, _ fail: (String) -> FixtureError, into steps: inout [Step]) throws {
        if let version = raw["activate"]?.numberValue {
            steps.append(.activate(version: Int(version)))
            return
        }
        let vehicle = raw["vehicle"]?.stringValue ?? "V1"
        if let track = raw["track"] {
            try Self.track(track, vehicle: vehicle, label: label, fail, into: &steps)
            return
        }
        let t = try time(raw, label: label, fail)
        var coordinate: Coordinate?
        if raw["lost"] == nil {
            guard let lat = number(raw["lat"]), let lon = number(raw["lon"]) else { throw fail("\(label) needs lat and lon (or \"lost\": true)") }
            coordinate = Coordinate(longitude: lon, latitude: lat)
        }
        steps.append(
            .fix(
                PositionFix(
                    vehicleID: vehicle, time: t, coordinate: coordinate, accuracy: number(raw["accuracy"]),
                    speed: number(raw["speed"]), heading: number(raw["heading"]))))
    }

    /// Numbers, plus the strings "nan", "inf", "-inf" for hostile values.
    static func number(_ raw: JSONValue?) -> Double? {
        switch raw {
        case .number(let v)?: v
        case .string("nan")?: .nan
        case .string("inf")?: .infinity
        case .string("-inf")?: -.infinity
        default: nil
        }
    }

    /// A straight track: `n` fixes `step_s` apart from `from` towards `to` (linear in lon/lat,
    /// the last fix at `to`), optionally with speed and heading derived from the motion
    /// (`"motion": true`), an accuracy, and deterministic jitter of up to `jitter_m` metres.
    static func track(_ raw: JSONValue, vehicle: String, label: String, _ fail: (String) -> FixtureError, into steps: inout [Step]) throws {
        guard let from = raw["from"], let to = raw["to"], let lat0 = number(from["lat"]), let lon0 = number(from["lon"]),
            let lat1 = number(to["lat"]), let lon1 = number(to["lon"]), let n = number(raw["n"]), n >= 1
        else { throw fail("\(label).track needs from {lat, lon}, to {lat, lon} and n ≥ 1") }
        let start = try time(raw, label: label, fail)
        let step = number(raw["step_s"]) ?? 1
        let count = Int(n)
        let jitter = number(raw["jitter_m"]) ?? 0
        var rng = SplitMix(seed: UInt64(number(raw["seed"]) ?? 1))
        let metresPerDegree = WGS84.authalicRadius * .pi / 180
        let cosLat = cos(lat0 * .pi / 180)
        let dLat = count > 1 ? (lat1 - lat0) / Double(count - 1) : 0
        let dLon = count > 1 ? (lon1 - lon0) / Double(count - 1) : 0
        let dy = dLat * metresPerDegree, dx = dLon * metresPerDegree * cosLat
        let speed = (dx * dx + dy * dy).squareRoot() / step
        var heading = atan2(dx, dy) * 180 / .pi
        if heading < 0 { heading += 360 }
        let motion = raw["motion"] == .bool(true)
        for i in 0..<count {
            var lat = lat0 + dLat * Double(i), lon = lon0 + dLon * Double(i)
            if jitter > 0 {
                lat += (rng.unit() * 2 - 1) * jitter / metresPerDegree
                lon += (rng.unit() * 2 - 1) * jitter / (metresPerDegree * cosLat)
            }
            let t = Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + Int64((Double(i) * step * 1000).rounded()))
            steps.append(
                .fix(
                    PositionFix(
                        vehicleID: vehicle, time: t, coordinate: Coordinate(longitude: lon, latitude: lat),
                        accuracy: number(raw["accuracy"]), speed: motion ? speed : number(raw["speed"]),
                        heading: motion ? heading : number(raw["heading"]))))
        }
    }
}

/// SplitMix64: a tiny deterministic generator for test data.
/// A value; `Sendable`; each copy draws its own sequence.
public struct SplitMix: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
