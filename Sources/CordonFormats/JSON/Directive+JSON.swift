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

    /// One NDJSON line (without the newline): compact, same input → same bytes.
    public var jsonLine: String { JSONWriter().string(json) }
}
