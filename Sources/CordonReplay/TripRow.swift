import CordonCore
import CordonFormats

/// The trip-log formats `replay` reads. A value; `Sendable`.
public enum TripFormat: String, Sendable, CaseIterable {
    case csv
    case ndjson
    case gpx

    /// The format named by a file's extension (a trailing `.gz` is looked through), or nil.
    public static func fromName(_ path: String) -> TripFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".ndjson") || name.hasSuffix(".jsonl") || name.hasSuffix(".json") { return .ndjson }
        if name.hasSuffix(".gpx") { return .gpx }
        return nil
    }

    /// The format the first bytes look like: `<` GPX, `{` NDJSON, anything else CSV.
    static func sniff(_ head: UnsafeBufferPointer<UInt8>) -> TripFormat {
        var i = 0
        if head.count >= 3, head[0] == 0xEF, head[1] == 0xBB, head[2] == 0xBF { i = 3 }
        while i < head.count, head[i] == 32 || head[i] == 9 || head[i] == 10 || head[i] == 13 { i += 1 }
        guard i < head.count else { return .csv }
        switch head[i] {
        case UInt8(ascii: "<"): return .gpx
        case UInt8(ascii: "{"): return .ndjson
        default: return .csv
        }
    }

    /// The extension of the redacted copy of `path` (`trips.csv.gz` → `trips.redacted.csv`).
    public static func redactedName(of path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".gz") { name.removeLast(3) }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name + ".redacted" }
        return String(name[..<dot]) + ".redacted" + String(name[dot...])
    }
}

/// Which input field plays which role. Names are matched without regard to case; `--columns`
/// adds names (`vehicle_id=car,timestamp=ts`) that take precedence over the defaults. When
/// several fields name one role, the most preferred name wins, wherever its field stands.
/// A value; `Sendable`.
public struct ColumnNames: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case vehicleID = "vehicle_id", timestamp, lat, lon, accuracy, speed, heading

        /// Position in `allCases`, for fixed-size per-role storage.
        var index: Int {
            switch self {
            case .vehicleID: 0
            case .timestamp: 1
            case .lat: 2
            case .lon: 3
            case .accuracy: 4
            case .speed: 5
            case .heading: 6
            }
        }
    }

    static let required: [Role] = [.vehicleID, .timestamp, .lat, .lon]

    /// Accepted names per role, in order of preference.
    public private(set) var names: [Role: [String]] = [
        .vehicleID: ["vehicle_id", "vehicle", "vehicleid"],
        .timestamp: ["timestamp", "time", "ts"],
        .lat: ["lat", "latitude"],
        .lon: ["lon", "lng", "long", "longitude"],
        .accuracy: ["accuracy", "accuracy_m", "acc"],
        .speed: ["speed", "speed_mps"],
        .heading: ["heading", "course", "bearing"],
    ]
    /// Lower-cased name → its role and rank (0 = most preferred), made from `names`.
    private var lookup: [String: (role: Role, rank: Int)] = [:]

    public init() { index() }

    /// Parses `role=name[,role=name…]`; the given name is tried first for its role.
    public init(mapping: String) throws(ReplayError) {
        var given: [(Role, String)] = []
        for pair in mapping.split(separator: ",") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard parts.count == 2, let role = Role(rawValue: parts[0].lowercased()), !parts[1].isEmpty else {
                let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw .usage("--columns expects ROLE=NAME pairs with ROLE one of \(roles); got \"\(pair)\"")
            }
            given.append((role, parts[1].lowercased()))
        }
        for (role, name) in given.reversed() {
            // A name given for one role no longer stands for another.
            for r in Role.allCases { names[r]?.removeAll { $0 == name } }
            names[role, default: []].insert(name, at: 0)
        }
        index()
    }

    private mutating func index() {
        lookup = [:]
        for (role, list) in names { for (rank, name) in list.enumerated() { lookup[name] = (role, rank) } }
    }

    /// The role a field name plays and its rank, or nil.
    func match(_ name: String) -> (role: Role, rank: Int)? { lookup[name.lowercased()] }
}

/// One row of a trip log as read: where its bytes are, what it says, and whether it can be
/// used. A value; owned by the pass that scanned it.
struct TripRow {
    /// Bytes of the row in the scanned buffer (with its line end, or for GPX the whitespace
    /// before the point), and of the lat and lon values (for coarsening; empty when absent).
    var start = 0, end = 0
    var latStart = 0, latEnd = 0, lonStart = 0, lonEnd = 0
    /// 1-based line of the row's first byte.
    var line = 0
    var vehicle = ""
    var time: Int64 = 0
    var lat = Double.nan, lon = Double.nan
    var hasPosition = false
    var accuracy: Double?
    var speed: Double?
    var heading: Double?
    /// Set when the row cannot form a fix at all (it is skipped before the engine).
    var malformed: String?

    /// Why the row is unusable, or nil: it cannot form a fix (`malformed`), or its fix fails the
    /// range check every input path applies (`PositionFix.problem`: no position, out of
    /// range, not finite). The one place that decides it for the report, the log and the
    /// redaction.
    var problem: String? {
        if let malformed { return malformed }
        guard hasPosition else { return "no position (empty lat and lon)" }
        return fix.problem?.description
    }

    var fix: PositionFix {
        PositionFix(
            vehicleID: vehicle, time: Timestamp(millisecondsSinceEpoch: time),
            coordinate: hasPosition ? Coordinate(longitude: lon, latitude: lat) : nil,
            accuracy: accuracy, speed: speed, heading: heading)
    }
}

/// Field parsing shared by the formats.
enum FieldParse {
    /// A timestamp: ISO 8601 with a zone designator, or epoch seconds (fractions allowed) or
    /// milliseconds (a magnitude of 1e11 or more is taken as milliseconds: seconds that large
    /// would be past the year 5000). Nil when it is neither.
    static func time(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let first = b.first else { return nil }
        if first == UInt8(ascii: "-") || (first >= 48 && first <= 57 && !(b.count >= 5 && b[4] == UInt8(ascii: "-"))) {
            guard let v = parseDecimal(b), v.isFinite else { return nil }
            let ms = abs(v) >= 1e11 ? v : v * 1000
            guard abs(ms) < 9e15 else { return nil }
            return Int64(ms.rounded(.down))
        }
        return Timestamp.parse(b)
    }

    /// A number, `nil` for an empty field; `.failure` when the text is not a number.
    static func optionalNumber(_ b: UnsafeBufferPointer<UInt8>) -> Double?? {
        if b.isEmpty { return .some(nil) }
        guard let v = parseDecimal(b) else { return nil }
        return .some(v)
    }

    static func text(_ b: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: b, as: UTF8.self)
    }

    /// Up to 40 bytes of a field for messages.
    static func preview(_ b: UnsafeBufferPointer<UInt8>) -> String {
        let s = String(decoding: UnsafeBufferPointer(rebasing: b[0..<min(b.count, 40)]), as: UTF8.self)
        return b.count > 40 ? s + "…" : s
    }
}

/// Dense numbers for vehicle ids in order of first sight, remembering the last id asked
/// (a vehicle's rows often follow one another), so that per-vehicle data can live in arrays.
/// A value, owned by one pass or one worker.
struct VehicleSlots {
    /// Ids by slot.
    private(set) var ids: [String] = []
    private var index: [String: Int] = [:]
    private var last = -1

    /// The slot of `id`, and whether this call made it.
    mutating func slot(of id: String) -> (slot: Int, isNew: Bool) {
        if last >= 0 && ids[last] == id { return (last, false) }
        if let found = index[id] {
            last = found
            return (found, false)
        }
        last = ids.count
        index[id] = last
        ids.append(id)
        return (last, true)
    }
}
