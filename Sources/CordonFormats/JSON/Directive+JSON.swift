public import CordonCore

extension Directive {
    /// The wire object (docs/directives.md), keys in a fixed order: `vehicle_id`, `seq`,
    /// `kind`, `reason`, `time`, `effective_at`, `zone_ids`, `categories`, `zone_set`,
    /// `zone_set_version`, then `cameras` (camera kinds), `precision_m` (coarsen kinds) and
    /// `detail` (`fix.rejected`).
    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember("vehicle_id", .string(vehicleID)),
            JSONMember("seq", .number(Double(seq))),
            JSONMember("kind", .string(kind.rawValue)),
            JSONMember("reason", .string(reason.rawValue)),
            JSONMember("time", .string(time.iso8601)),
            JSONMember("effective_at", .string(effectiveAt.iso8601)),
            JSONMember("zone_ids", .array(zoneIDs.map { .string($0) })),
            JSONMember("categories", .array(categories.map { .string($0.rawValue) })),
            JSONMember("zone_set", .string(zoneSetName)),
            JSONMember("zone_set_version", .number(Double(zoneSetVersion))),
        ]
        if kind == .cameraDisable || kind == .cameraEnable {
            members.append(JSONMember("cameras", .array(cameras.names.map { .string($0) })))
        }
        if let precisionMeters { members.append(JSONMember("precision_m", .number(precisionMeters))) }
        if let detail { members.append(JSONMember("detail", .string(detail))) }
        return .object(members)
    }

    /// One NDJSON line (without the newline): compact, same input → same bytes. The bytes of
    /// `JSONWriter().string(json)`, written directly into a byte buffer: a replay of a log full
    /// of rejected fixes writes one line per row, and building the `JSONValue` tree first took
    /// half its time; appending to a `String` piece by piece then cost 28,000 instructions a
    /// line, about ten times these bytes.
    public var jsonLine: String {
        var out: [UInt8] = []
        out.reserveCapacity(224 + vehicleID.utf8.count + zoneIDs.reduce(0) { $0 + $1.utf8.count + 3 } + (detail?.utf8.count ?? 0))
        // Static helpers on `inout out`: nested functions capturing it would check exclusive
        // access at run time on every call.
        Self.raw("{\"vehicle_id\":", &out)
        JSONWriter.quote(vehicleID, into: &out)
        Self.raw(",\"seq\":", &out)
        JSONWriter.number(Double(seq), into: &out)
        Self.raw(",\"kind\":", &out)
        JSONWriter.quote(kind.rawValue, into: &out)
        Self.raw(",\"reason\":", &out)
        JSONWriter.quote(reason.rawValue, into: &out)
        Self.raw(",\"time\":", &out)
        JSONWriter.quote(time.iso8601, into: &out)
        Self.raw(",\"effective_at\":", &out)
        JSONWriter.quote(effectiveAt.iso8601, into: &out)
        Self.raw(",\"zone_ids\":", &out)
        Self.list(zoneIDs, &out)
        Self.raw(",\"categories\":", &out)
        Self.list(categories.map(\.rawValue), &out)
        Self.raw(",\"zone_set\":", &out)
        JSONWriter.quote(zoneSetName, into: &out)
        Self.raw(",\"zone_set_version\":", &out)
        JSONWriter.number(Double(zoneSetVersion), into: &out)
        if kind == .cameraDisable || kind == .cameraEnable {
            Self.raw(",\"cameras\":", &out)
            Self.list(cameras.names, &out)
        }
        if let precisionMeters {
            Self.raw(",\"precision_m\":", &out)
            JSONWriter.number(precisionMeters, into: &out)
        }
        if let detail {
            Self.raw(",\"detail\":", &out)
            JSONWriter.quote(detail, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func raw(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A compact JSON array of strings, as bytes.
    private static func list(_ strings: [String], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (k, s) in strings.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.quote(s, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
