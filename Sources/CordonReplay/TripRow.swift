#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    /// A field the replay reads, named by its default column name. A value; `Sendable`.
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

/// A byte offset in a block, kept in 32 bits (`TripRow`'s layout; a block stays under 2 GiB).
/// A value; `Sendable`.
@propertyWrapper
struct Offset32: Sendable {
    private var stored: UInt32
    init(wrappedValue: Int) { stored = UInt32(wrappedValue) }
    var wrappedValue: Int {
        get { Int(stored) }
        set { stored = UInt32(newValue) }
    }
}

/// An optional number kept in 8 bytes (`TripRow`'s layout): absent is one NaN pattern that no
/// reader makes (they parse no NaN for these fields), and it is kept apart from every other
/// NaN, which reads back as itself. A value; `Sendable`.
@propertyWrapper
struct CompactNumber: Sendable {
    private static let absent = Double(bitPattern: 0x7FF4_C0DE_0000_0001)
    private var stored = Self.absent
    init(wrappedValue: Double?) { stored = wrappedValue ?? Self.absent }
    var wrappedValue: Double? {
        get { stored.bitPattern == Self.absent.bitPattern ? nil : stored }
        set { stored = newValue ?? Self.absent }
    }
}

/// One row of a trip log as read: where its bytes are, what it says, and whether it can be
/// used. A value; owned by the pass that scanned it.
///
/// Laid out small (128 bytes): a block holds tens of thousands and every pass reads each one,
/// so the fields the evaluation reads come first, the optional numbers are doubles with an
/// "absent" pattern, and the byte offsets are 32-bit (a block stays under 2 GiB: rows of at
/// most 1 GiB, `BlockReader`).
struct TripRow {
    var vehicle = "" {
        didSet {
            vehicleHash = 0
            idKey = Self.noKey
        }
    }
    /// `idKey` when the scan did not have the id at hand.
    static let noKey: UInt16 = .max
    /// `VehicleSlots.hash(vehicle)` when a scanner had it at hand, else 0 (set again with
    /// every change of `vehicle`, so it is never another id's).
    var vehicleHash: UInt64 = 0
    var time: Int64 = 0
    var lat = Double.nan, lon = Double.nan
    @CompactNumber var accuracy: Double? = nil
    @CompactNumber var speed: Double? = nil
    @CompactNumber var heading: Double? = nil
    var hasPosition = false
    /// Where the scan's id cache holds `vehicle` (`ScanMemory.key(slot:)`: which scanning
    /// thread's memory, and the slot in it), else `noKey`. One key is one id for the whole of
    /// an input, so the passes map keys to their own slots (`ScanKeyMemo`) and look an id up
    /// once per key instead of once per row. (In the padding after `hasPosition`: no byte more.)
    var idKey = Self.noKey
    /// Set when the row cannot form a fix at all (it is skipped before the engine).
    var malformed: String?
    /// 1-based line of the row's first byte.
    var line = 0
    /// Bytes of the row in the scanned buffer (with its line end, or for GPX the whitespace
    /// before the point), and of the lat and lon values (for coarsening; empty when absent).
    @Offset32 var start = 0
    @Offset32 var end = 0
    @Offset32 var latStart = 0
    @Offset32 var latEnd = 0
    @Offset32 var lonStart = 0
    @Offset32 var lonEnd = 0

    init() {}

    /// A row spanning `start..<end` from `line`, nothing read yet.
    init(start: Int, end: Int, line: Int) {
        self.start = start
        self.end = end
        self.line = line
    }

    /// Whether `problem` is nil, without building it (the check every row gets).
    var isUsable: Bool {
        malformed == nil && hasPosition
            && PositionFix.isUsable(latitude: lat, longitude: lon, accuracy: accuracy, speed: speed, heading: heading)
    }

    /// Why the row is unusable, or nil: it cannot form a fix (`malformed`), or its fix fails the
    /// range check every input path applies (`PositionFix.problem`: no position, out of
    /// range, not finite). The one place that decides it for the report, the log and the
    /// redaction.
    var problem: String? {
        if let malformed { return malformed }
        guard hasPosition else { return "no position (empty lat and lon)" }
        return PositionFix.problem(
            coordinate: Coordinate(longitude: lon, latitude: lat), accuracy: accuracy, speed: speed, heading: heading)?.description
    }

    /// Takes `text` (read from the field's bytes `raw`) as the row's vehicle; false, with
    /// `malformed` set and no vehicle (the row counts under none: the id is what is wrong),
    /// when it breaks the vehicle-id rule.
    mutating func takeVehicle(_ text: String, raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let problem = FieldParse.vehicleProblem(raw, text) else {
            vehicle = text
            return true
        }
        malformed = problem
        vehicle = ""
        return false
    }

    /// Takes `t` as the row's time; false, with `malformed` set (naming the field `label` and
    /// its bytes `raw`), outside the plausible fix times.
    mutating func takeTime(_ t: Int64, label: String, raw: UnsafeBufferPointer<UInt8>) -> Bool {
        if let problem = Timestamp.fixTimeProblem(t) {
            malformed = "\(label) \"\(FieldParse.preview(raw))\" \(problem)"
            return false
        }
        time = t
        return true
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

    /// A number, `.some(nil)` for an empty field; nil when the text is not a number.
    @inline(__always)
    static func optionalNumber(_ b: UnsafeBufferPointer<UInt8>) -> Double?? {
        if b.isEmpty { return .some(nil) }
        guard let v = parseDecimal(b) else { return nil }
        return .some(v)
    }

    /// `optionalNumber` of a row's field `name` into `value`: false, with the row marked
    /// malformed, when the text is not a number (the CSV and NDJSON readers' rule for
    /// accuracy, speed and heading).
    @inline(__always)
    static func optionalNumber(
        _ b: UnsafeBufferPointer<UInt8>, _ name: String, into value: inout Double?, row: inout TripRow
    ) -> Bool {
        guard let v = optionalNumber(b) else {
            row.malformed = "\(name) \"\(preview(b))\" is not a number"
            return false
        }
        value = v
        return true
    }

    static func text(_ b: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: b, as: UTF8.self)
    }

    /// Why a row's vehicle id (`raw` as it stands in the file, `text` as read) cannot name a
    /// vehicle (`VehicleID`, as on the HTTP routes), as a message; nil when it can. `text` has
    /// already replaced bytes that are not UTF-8, so those are looked for in `raw`.
    static func vehicleProblem(_ raw: UnsafeBufferPointer<UInt8>, _ text: String) -> String? {
        let notUTF8 = raw.contains(where: { $0 >= 0x80 }) && String(validUTF8: raw) == nil
        guard let problem = notUTF8 ? "is not valid UTF-8" : VehicleID.problem(text) else { return nil }
        return "vehicle_id \"\(preview(raw))\" \(problem)"
    }

    /// Up to 40 bytes of a field for messages.
    /// Control characters are shown as `\u{…}`, so a message stays one readable line.
    static func preview(_ b: UnsafeBufferPointer<UInt8>) -> String {
        var s = String(decoding: UnsafeBufferPointer(rebasing: b[0..<min(b.count, 40)]), as: UTF8.self)
        if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            s = s.unicodeScalars.map { c in
                c.properties.generalCategory == .control ? "\\u{\(String(c.value, radix: 16, uppercase: true))}" : String(c)
            }.joined()
        }
        return b.count > 40 ? s + "…" : s
    }
}

/// The last ISO 8601 timestamp read by one scan, so that the next, which in a trip log mostly
/// differs only in its minute and second digits, is read by comparing bytes. Same length, the
/// same bytes except the minute and second digits (positions 14–15 and 17–18 of
/// `YYYY-MM-DDTHH:MM:SS…`), and a minute and a second below 60: the value is the remembered
/// one moved by the difference, as it is linear in them (hour 24 and leap seconds are never
/// remembered). Anything else goes through `FieldParse.time`. A value, owned by one thread
/// (`ScanMemory`).
struct TimeCache {
    private var text: [UInt8] = []
    /// The remembered text's value less its minutes and seconds, in milliseconds.
    private var base: Int64 = 0

    mutating func time(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        if b.count == text.count, b.count >= 20, b[16] == UInt8(ascii: ":"), let m = Self.minutesAndSeconds(b), let p = b.baseAddress,
            text.withUnsafeBufferPointer({ t in
                guard let q = t.baseAddress else { return false }
                return memcmp(p, q, 14) == 0 && memcmp(p + 19, q + 19, b.count - 19) == 0
            })
        {
            return base + m * 1000
        }
        guard let t = FieldParse.time(b) else { return nil }
        // Remember a well-formed text whose minute and second digits stand where expected.
        if b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":"), !(b[11] == UInt8(ascii: "2") && b[12] == UInt8(ascii: "4")),
            let m = Self.minutesAndSeconds(b)
        {
            text = Array(b)
            base = t - m * 1000
        }
        return t
    }

    /// Minutes × 60 + seconds from positions 14–15 and 17–18, when both are below 60.
    private static func minutesAndSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let m1 = Int64(b[14]) - 48, m2 = Int64(b[15]) - 48, s1 = Int64(b[17]) - 48, s2 = Int64(b[18]) - 48
        guard m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9 else { return nil }
        return (m1 * 10 + m2) * 60 + s1 * 10 + s2
    }
}

/// Dense numbers for vehicle ids in order of first sight, remembering the last id asked
/// (a vehicle's rows often follow one another), so that per-vehicle data can live in arrays.
///
/// Ids are equal as Swift strings are (canonical equivalence), as in every dictionary of the
/// replay. They are found by their bytes first, through an open-addressing table keyed by
/// `hash(_:)` (a few instructions for a short id, where a `Dictionary<String, Int>` probe
/// costs hundreds with its seeded SipHash); only a spelling not seen before asks a dictionary,
/// which maps a canonically equal spelling (`é` as one or two scalars) to the same slot.
/// A value, owned by one pass or one worker.
struct VehicleSlots {
    /// Ids by slot (the first spelling seen).
    private(set) var ids: [String] = []
    private var canonical: [String: Int] = [:]
    /// Spellings seen, their byte hashes and slots.
    private var spellings: [String] = []
    private var hashes: [UInt64] = []
    private var slotOfSpelling: [Int32] = []
    /// Spelling + 1 per bucket, 0 when empty; a power of two at least twice the spellings.
    private var table = [Int32](repeating: 0, count: 64)
    private var last = -1
    /// The hash of the id last asked, which `ids[last]` is a spelling of.
    private var lastHash: UInt64 = 0

    /// FNV-1a over the id's UTF-8 bytes, then `mix64`, so that every bit of the id reaches the
    /// low bits the table uses.
    static func hash(_ id: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var text = id
        text.withUTF8 { bytes in
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return mix64(h)
    }

    /// The slot of `id`, and whether this call made it. `hash` is `hash(id)` when the caller
    /// has it, or 0.
    mutating func slot(of id: String, hash known: UInt64 = 0) -> (slot: Int, isNew: Bool) {
        let h = known != 0 ? known : Self.hash(id)
        if last >= 0 && lastHash == h && ids[last] == id { return (last, false) }
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while table[i] != 0 {
            let k = Int(table[i]) - 1
            // Equal as strings is enough: a canonically equal spelling has the same slot.
            if hashes[k] == h && spellings[k] == id {
                last = Int(slotOfSpelling[k])
                lastHash = h
                return (last, false)
            }
            i = (i + 1) & mask
        }
        // A new spelling: of a known id, or of a new one.
        var isNew = false
        lastHash = h
        if let known = canonical[id] {
            last = known
        } else {
            last = ids.count
            isNew = true
            ids.append(id)
            canonical[id] = last
        }
        spellings.append(id)
        hashes.append(h)
        slotOfSpelling.append(Int32(truncatingIfNeeded: last))
        table[i] = Int32(truncatingIfNeeded: spellings.count)
        if spellings.count * 2 > table.count { grow() }
        return (last, isNew)
    }

    private mutating func grow() {
        table = [Int32](repeating: 0, count: table.count * 2)
        let mask = table.count - 1
        for (k, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while table[i] != 0 { i = (i + 1) & mask }
            table[i] = Int32(truncatingIfNeeded: k + 1)
        }
    }
}

/// A pass's slots by scan key (`TripRow.idKey`), learnt from the first row of each key: a
/// key is the same id for as long as the scan memories that made it live (one input), so a
/// pass keeps one memo per input. -1: not learnt yet. A value, owned by one pass's worker.
struct ScanKeyMemo {
    private var slots: [Int32] = []

    /// The slot learnt for `key`, or nil (never for `TripRow.noKey`).
    @inline(__always)
    func slot(_ key: UInt16) -> Int32? {
        let k = Int(key)
        guard k < slots.count else { return nil }
        let s = slots[k]
        return s == -1 ? nil : s
    }

    /// Learns `slot` for `key` (nothing for `TripRow.noKey`).
    mutating func learn(_ key: UInt16, _ slot: Int32) {
        guard key != TripRow.noKey else { return }
        let k = Int(key)
        if k >= slots.count { slots.append(contentsOf: repeatElement(-1, count: (k | 0xFFF) + 1 - slots.count)) }
        slots[k] = slot
    }
}
