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
    /// `JSONWriter().string(json)`, written directly: a replay of a log full of rejected fixes
    /// writes one line per row, and building the `JSONValue` tree first took half its time.
    public var jsonLine: String {
        var out = ""
        out.reserveCapacity(224 + vehicleID.utf8.count + zoneIDs.reduce(0) { $0 + $1.utf8.count + 3 } + (detail?.utf8.count ?? 0))
        out += "{\"vehicle_id\":"
        JSONWriter.quote(vehicleID, into: &out)
        out += ",\"seq\":" + JSONWriter.number(Double(seq)) + ",\"kind\":"
        JSONWriter.quote(kind.rawValue, into: &out)
        out += ",\"reason\":"
        JSONWriter.quote(reason.rawValue, into: &out)
        out += ",\"time\":"
        JSONWriter.quote(time.iso8601, into: &out)
        out += ",\"effective_at\":"
        JSONWriter.quote(effectiveAt.iso8601, into: &out)
        out += ",\"zone_ids\":"
        Self.append(zoneIDs, into: &out)
        out += ",\"categories\":"
        Self.append(categories.map(\.rawValue), into: &out)
        out += ",\"zone_set\":"
        JSONWriter.quote(zoneSetName, into: &out)
        out += ",\"zone_set_version\":" + JSONWriter.number(Double(zoneSetVersion))
        if kind == .cameraDisable || kind == .cameraEnable {
            out += ",\"cameras\":"
            Self.append(cameras.names, into: &out)
        }
        if let precisionMeters { out += ",\"precision_m\":" + JSONWriter.number(precisionMeters) }
        if let detail {
            out += ",\"detail\":"
            JSONWriter.quote(detail, into: &out)
        }
        out += "}"
        return out
    }

    /// A compact JSON array of strings.
    static func append(_ strings: [String], into out: inout String) {
        if strings.isEmpty { out += "[]"; return }
        out += "["
        for (k, s) in strings.enumerated() {
            if k > 0 { out += "," }
            JSONWriter.quote(s, into: &out)
        }
        out += "]"
    }
}
