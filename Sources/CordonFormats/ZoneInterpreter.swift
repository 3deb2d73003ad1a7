import Foundation
package import CordonCore

/// Turns one feature's raw rings and properties into a `Zone`, or into diagnostics saying
/// exactly what is wrong. Shared by the GeoJSON, KML and WKT readers so every format reports
/// the same problems in the same words.
///
/// A value type; `Sendable`; no state between calls.
package struct ZoneInterpreter: Sendable {
    package let file: String
    package let options: ZoneReadOptions

    package init(file: String, options: ZoneReadOptions) {
        self.file = file
        self.options = options
    }

    /// Keys Cordon interprets; everything else is kept as metadata.
    package static let knownKeys: Set<String> = [
        "id", "name", "category", "buffer_m", "cameras", "data", "coarsen_m", "schedule", "valid_from",
        "valid_until",
    ]

    /// Raw polygon rings as read: `[polygon][ring][vertex]`.
    package typealias RawPolygons = [[[Coordinate]]]

    /// Interprets a feature. `fallbackID` is the format's own id (GeoJSON Feature `id`, KML
    /// Placemark `id` attribute); `isMulti` says whether the source declared a MultiPolygon.
    /// `checked`: geometry these checks already passed (a stored zone's), taken as it is instead
    /// of `polygons`.
    package func zone(
        index: Int, properties: [JSONMember], fallbackID: String?, polygons: RawPolygons, isMulti: Bool,
        checked: MultiPolygon? = nil, into result: inout ZoneFileReadResult
    ) {
        var props = properties
        for d in options.defaultProperties where !props.contains(where: { $0.key == d.key }) { props.append(d) }
        func value(_ key: String) -> JSONValue? { props.first(where: { $0.key == key })?.value }

        var problems: [(String, String)] = []
        var warnings: [(String, String)] = []
        let idKey = options.idProperty ?? "id"
        let resolved = resolveID(index: index, properties: props, fallbackID: fallbackID)
        let featureID = resolved.id
        switch resolved.problem {
        case .invalid(let message)?: problems.append(("bad_id", message))
        case .missing(let message)?: warnings.append(("missing_id", message))
        case nil: break
        }
        func report(_ severity: Diagnostic.Severity, _ code: String, _ message: String) {
            result.diagnostics.append(
                Diagnostic(severity, code, message, file: file, featureIndex: index, featureID: featureID))
        }

        // Category.
        var category = Category.custom
        switch value("category") {
        case nil, .null?:
            warnings.append(("missing_category", "no category; using \"custom\" (exterior cameras off, data dropped)"))
        case .string(let s)?:
            if let c = Category(rawValue: s) { category = c } else {
                problems.append(("unknown_category", "unknown category \"\(s)\" (expected military, government, defense_industry or custom)"))
            }
        case let other?:
            problems.append(("unknown_category", "category must be a string, found \(other.typeName)"))
        }
        var policy = category.defaultPolicy

        // Cameras: an array of group names, or one comma-separated string (KML).
        if let raw = value("cameras"), raw != .null {
            var names: [String] = []
            switch raw {
            case .array(let items):
                for item in items {
                    if let s = item.stringValue { names.append(s) } else {
                        problems.append(("unknown_policy", "cameras must list strings, found \(item.typeName)"))
                    }
                }
            case .string(let s):
                names = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            default:
                problems.append(("unknown_policy", "cameras must be an array of \"exterior\"/\"cabin\", found \(raw.typeName)"))
            }
            var groups: CameraGroups = []
            for n in names {
                if let g = CameraGroups(name: n) { groups.insert(g) } else {
                    problems.append(("unknown_policy", "unknown camera group \"\(n)\" (expected exterior or cabin)"))
                }
            }
            policy.cameras = groups
        }

        // Data action.
        if let raw = value("data"), raw != .null {
            switch raw.stringValue {
            case "coarsen"?:
                switch Self.number(value("coarsen_m")) {
                case .some(let m) where m.isFinite && m > 0: policy.data = .coarsen(meters: m)
                case .some(let m): problems.append(("bad_coarsen", "coarsen_m must be a positive number of metres, found \(JSONWriter.number(m))"))
                case nil: problems.append(("bad_coarsen", "data \"coarsen\" needs a positive coarsen_m (metres)"))
                }
            case let s?:
                if let action = DataAction(name: s, coarsenMeters: nil) {
                    policy.data = action
                } else {
                    problems.append(("unknown_policy", "unknown data action \"\(s)\" (expected drop, local_only, coarsen or none)"))
                }
            case nil:
                problems.append(("unknown_policy", "data must be a string, found \(raw.typeName)"))
            }
        }
        if policy.isNoOp {
            problems.append(("noop_policy", "policy does nothing (no cameras disabled and data \"none\"); a zone must restrict something"))
        }

        // Buffer.
        var buffer = category.defaultBufferMeters
        if let raw = value("buffer_m"), raw != .null {
            switch Self.number(raw) {
            case .some(let b) where !b.isFinite:
                problems.append(("bad_buffer", "buffer_m is not a finite number"))
            case .some(let b) where b < 0:
                problems.append(("negative_buffer", "buffer_m is negative (\(JSONWriter.number(b)))"))
            case .some(let b) where b > options.maximumBufferMeters:
                problems.append(("bad_buffer", "buffer_m \(JSONWriter.number(b)) is over the limit of \(JSONWriter.number(options.maximumBufferMeters)) m"))
            case .some(let b): buffer = b
            case nil: problems.append(("bad_buffer", "buffer_m must be a number of metres, found \(raw.typeName)"))
            }
        }

        // Schedule and validity.
        var schedule: Schedule?
        if let raw = value("schedule"), raw != .null {
            switch Self.schedule(raw) {
            case .success(let s): schedule = s
            case .failure(let error): problems.append(("bad_schedule", error.message))
            }
        }
        func timestamp(_ key: String) -> Timestamp? {
            guard let raw = value(key), raw != .null else { return nil }
            if let s = raw.stringValue, let t = Timestamp(iso8601: s) { return t }
            problems.append(("bad_time", "\(key) must be an ISO 8601 date-time with a zone (e.g. 2026-01-01T00:00:00Z), found \(JSONWriter().string(raw))"))
            return nil
        }
        let validFrom = timestamp("valid_from")
        let validUntil = timestamp("valid_until")
        if let validFrom, let validUntil, validUntil <= validFrom {
            problems.append(("bad_time", "valid_until \(validUntil) is not after valid_from \(validFrom)"))
        }

        var name = featureID
        if let raw = value("name"), raw != .null {
            if let s = raw.stringValue { name = s } else { problems.append(("bad_name", "name must be a string, found \(raw.typeName)")) }
        }

        // Geometry.
        let geometry = checked ?? self.geometry(polygons, isMulti: isMulti, problems: &problems, warnings: &warnings)

        if idKey != "id", let other = value("id"), other != .null, other != .string(featureID) {
            warnings.append(("id_ignored", "property \"id\" (\(JSONWriter().string(other))) is ignored: --id-property \(idKey) names the zone"))
        }
        for (code, message) in warnings { report(.warning, code, message) }
        for (code, message) in problems { report(.error, code, message) }
        guard problems.isEmpty, let geometry else { return }

        // With --id-property, that property stays as metadata (it is the source's own field);
        // a separate `id` property cannot (export writes the zone id there), so it is reported.
        let metadata = properties.filter { !Self.knownKeys.contains($0.key) }
        let zone = Zone(
            id: featureID, name: name, category: category, geometry: geometry, policy: policy,
            bufferMeters: buffer, schedule: schedule, validFrom: validFrom, validUntil: validUntil,
            metadata: metadata)
        result.zones.append(ReadZone(file: file, featureIndex: index, zone: zone))
    }

    /// Why a feature's id had to be made up.
    package enum IDProblem: Sendable {
        case invalid(String)
        case missing(String)
    }

    /// The zone id of a feature: `--id-property`, then `properties.id`, then the format's own id
    /// (GeoJSON Feature `id`, KML Placemark `id`), then `FILE-INDEX`.
    package func resolveID(index: Int, properties: [JSONMember], fallbackID: String?) -> (id: String, problem: IDProblem?) {
        let idKey = options.idProperty ?? "id"
        let raw = properties.first(where: { $0.key == idKey })?.value
            ?? options.defaultProperties.first(where: { $0.key == idKey })?.value
        // Made only when it is used (most zones name their own id).
        func made() -> String { "\(Self.baseName(file))-\(index)" }
        if let raw, raw != .null {
            switch raw {
            case .string(let s) where !s.isEmpty:
                if let defect = Self.idDefect(s) { return (made(), .invalid("\(defect) (property \"\(idKey)\")")) }
                return (s, nil)
            case .number(let n) where n.isFinite: return (JSONWriter.number(n), nil)
            default:
                return (made(), .invalid("property \"\(idKey)\" must be a non-empty string or a number, found \(raw.typeName)"))
            }
        }
        if let fallbackID, !fallbackID.isEmpty {
            if let defect = Self.idDefect(fallbackID) { return (made(), .invalid("\(defect) (feature id)")) }
            return (fallbackID, nil)
        }
        let fallback = made()
        return (fallback, .missing("no id (property \"\(idKey)\" or feature id); using \"\(fallback)\""))
    }

    /// The longest zone id accepted, in UTF-8 bytes.
    package static let maxIDBytes = 256

    /// Why `id` cannot name a zone, or nil. Zone ids are joined by `;` in `cordon locate`'s
    /// output and the replay's reports and written into logs, CSV and directives, so an id with
    /// a `;` or a control character (a line break, a NUL) would be read back as something else;
    /// an id longer than `maxIDBytes` is refused too.
    package static func idDefect(_ id: String) -> String? {
        // The common case, decided on the bytes: printable ASCII, no `;`, not too long.
        var text = id
        let plain = text.withUTF8 { b in b.count <= maxIDBytes && !b.contains { $0 < 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: ";") } }
        if plain { return nil }
        let shown = id.utf8.count > 40 ? String(reflecting: String(id.prefix(40)) + "…") : String(reflecting: id)
        if id.utf8.count > maxIDBytes {
            return "id \(shown) is \(id.utf8.count) bytes long; a zone id has at most \(maxIDBytes)"
        }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "id \(shown) contains a control character"
        }
        if id.contains(";") {
            return "id \(shown) contains \";\", which separates zone ids in lists"
        }
        return nil
    }

    // MARK: - Geometry checks

    private func geometry(
        _ raw: RawPolygons, isMulti: Bool, problems: inout [(String, String)], warnings: inout [(String, String)]
    ) -> MultiPolygon? {
        if raw.isEmpty || raw.allSatisfy({ $0.isEmpty || $0.allSatisfy(\.isEmpty) }) {
            problems.append(("empty_geometry", "geometry is empty"))
            return nil
        }
        let before = problems.count
        var polygons: [Polygon] = []
        for (p, rawRings) in raw.enumerated() {
            guard !rawRings.isEmpty else {
                problems.append(("empty_geometry", "polygon \(p) has no rings"))
                continue
            }
            var rings: [Ring] = []
            for (r, rawRing) in rawRings.enumerated() {
                let label = raw.count > 1 ? "polygon \(p) ring \(r)" : "ring \(r)"
                var coords = rawRing
                if let bad = coords.firstIndex(where: { !$0.isValid }) {
                    let c = coords[bad]
                    let what =
                        !(c.longitude.isFinite && c.latitude.isFinite)
                        ? "is not finite"
                        : "is out of range (longitude must be in [-180, 180], latitude in [-90, 90])"
                    problems.append(("bad_coordinate", "\(label) vertex \(bad): coordinate \(c) \(what)"))
                    continue
                }
                if let first = coords.first, let last = coords.last, first != last {
                    if options.repair {
                        coords.append(first)
                        warnings.append(("ring_closed", "\(label) was not closed; closed it by repeating \(first)"))
                    } else {
                        problems.append(("ring_not_closed", "\(label) is not closed: first position \(first) differs from last \(last)"))
                        continue
                    }
                }
                if coords.count < 4 {
                    problems.append(("too_few_points", "\(label) has \(coords.count) positions; a ring needs at least 4 (3 corners and the closing one)"))
                    continue
                }
                // An edge spanning more than 180° of longitude crosses the antimeridian, unless it runs
                // along a pole (both ends at latitude ±90, as Antarctica's southern edge does).
                for k in 1..<coords.count
                where abs(coords[k].longitude - coords[k - 1].longitude) > 180
                    && !(abs(coords[k].latitude) == 90 && coords[k].latitude == coords[k - 1].latitude)
                {
                    problems.append(("antimeridian", "\(label) edge \(k - 1) from \(coords[k - 1]) to \(coords[k]) crosses the antimeridian; split the polygon at ±180° (RFC 7946 §3.1.9)"))
                    break
                }
                if options.datum == .gcj02 { coords = coords.map(GCJ02.gcj02ToWGS84) }
                rings.append(Ring(coords))
            }
            if rings.count == rawRings.count, let exterior = rings.first {
                polygons.append(Polygon(exterior: exterior, holes: Array(rings.dropFirst())).normalized())
            }
        }
        guard problems.count == before else { return nil }
        return MultiPolygon(polygons, isMulti: isMulti)
    }

    // MARK: - Property parsing helpers

    /// A number from a JSON number or a numeric string (KML carries text).
    package static func number(_ v: JSONValue?) -> Double? {
        switch v {
        case .number(let n)?: return n
        case .string(let s)?: return Double(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// Parses `{"timezone": "Asia/Shanghai", "windows": [{"days": ["mon"], "start": "08:00", "end": "18:00"}]}`.
    /// A JSON text in a string (KML) is accepted too.
    package static func schedule(_ raw: JSONValue) -> Result<Schedule, ScheduleError> {
        var value = raw
        if let text = raw.stringValue {
            guard let parsed = try? JSONParser(maximumDepth: 16).parse(Array(text.utf8), file: "schedule") else {
                return .failure(ScheduleError("schedule must be an object (or its JSON text)"))
            }
            value = parsed
        }
        guard case .object = value else { return .failure(ScheduleError("schedule must be an object, found \(value.typeName)")) }
        guard let tz = value["timezone"]?.stringValue else {
            return .failure(ScheduleError("schedule needs \"timezone\", an IANA name such as \"Asia/Shanghai\""))
        }
        guard TimeZone(identifier: tz) != nil else {
            return .failure(ScheduleError("schedule timezone \"\(tz)\" is not a known IANA time zone"))
        }
        guard let rawWindows = value["windows"]?.arrayValue, !rawWindows.isEmpty else {
            return .failure(ScheduleError("schedule needs a non-empty \"windows\" array"))
        }
        var windows: [Schedule.Window] = []
        for (k, w) in rawWindows.enumerated() {
            guard let dayValues = w["days"]?.arrayValue, !dayValues.isEmpty else {
                return .failure(ScheduleError("schedule window \(k) needs a non-empty \"days\" array (mon … sun)"))
            }
            var days: [Weekday] = []
            for d in dayValues {
                guard let s = d.stringValue, let day = Weekday(shortName: s) else {
                    return .failure(ScheduleError("schedule window \(k): unknown day \(JSONWriter().string(d)) (expected mon … sun)"))
                }
                if !days.contains(day) { days.append(day) }
            }
            guard let startText = w["start"]?.stringValue, let start = Schedule.Window.minute(fromClockText: startText),
                let endText = w["end"]?.stringValue, let end = Schedule.Window.minute(fromClockText: endText)
            else {
                return .failure(ScheduleError("schedule window \(k) needs \"start\" and \"end\" as HH:MM (00:00 … 24:00)"))
            }
            guard start != end, start < 1440 else {
                return .failure(ScheduleError("schedule window \(k) is empty (start \(startText), end \(endText))"))
            }
            windows.append(Schedule.Window(days: days.sorted(), startMinute: start, endMinute: end))
        }
        return .success(Schedule(timeZone: tz, windows: windows))
    }

    package struct ScheduleError: Error {
        package let message: String
        init(_ message: String) { self.message = message }
    }

    static func baseName(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        for ext in [".geojson", ".json", ".kml", ".wkt", ".txt", ".tsv"] where name.hasSuffix(ext) {
            return String(name.dropLast(ext.count))
        }
        return name
    }
}

extension ZoneInterpreter {
    /// The properties of a zone as JSON members, in the canonical order writers use:
    /// id, name, category, cameras, data, coarsen_m, buffer_m, schedule, valid_from,
    /// valid_until, then metadata in source order.
    package static func properties(of zone: Zone) -> [JSONMember] {
        var out: [JSONMember] = [
            JSONMember("id", .string(zone.id)),
            JSONMember("name", .string(zone.name)),
            JSONMember("category", .string(zone.category.rawValue)),
            JSONMember("cameras", .array(zone.policy.cameras.names.map { .string($0) })),
            JSONMember("data", .string(zone.policy.data.name)),
        ]
        if case .coarsen(let m) = zone.policy.data { out.append(JSONMember("coarsen_m", .number(m))) }
        out.append(JSONMember("buffer_m", .number(zone.bufferMeters)))
        if let s = zone.schedule { out.append(JSONMember("schedule", scheduleJSON(s))) }
        if let t = zone.validFrom { out.append(JSONMember("valid_from", .string(t.iso8601))) }
        if let t = zone.validUntil { out.append(JSONMember("valid_until", .string(t.iso8601))) }
        out.append(contentsOf: zone.metadata)
        return out
    }

    package static func scheduleJSON(_ s: Schedule) -> JSONValue {
        .object([
            JSONMember("timezone", .string(s.timeZone)),
            JSONMember(
                "windows",
                .array(
                    s.windows.map { w in
                        .object([
                            JSONMember("days", .array(w.days.map { .string($0.shortName) })),
                            JSONMember("start", .string(Schedule.Window.clockText(w.startMinute))),
                            JSONMember("end", .string(Schedule.Window.clockText(w.endMinute))),
                        ])
                    })),
        ])
    }
}
