public import CordonCore
public import CordonEngine
import CordonFormats

/// What a replay did, per input, per vehicle, per category and in total; written as
/// `report.json` and `report.txt`. For every input and in total:
/// rows in = kept + dropped + rejected (coarsened rows are kept; `local_only` rows are
/// withheld from the redacted copy and counted as dropped).
///
/// A value; `Sendable`.
public struct ReplayReport: Sendable {
    /// What became of some rows (of a file, a vehicle, or all): rows in = kept + dropped +
    /// rejected; `coarsened` ⊂ kept, `localOnly` ⊂ dropped.
    /// A value; `Sendable`.
    public struct RowCounts: Sendable, Equatable {
        public var rowsIn = 0, kept = 0, dropped = 0, localOnly = 0, coarsened = 0, rejected = 0

        static func += (a: inout RowCounts, b: RowCounts) { a = a + b }

        init() {}

        init(rowsIn: Int, kept: Int, dropped: Int, localOnly: Int, coarsened: Int, rejected: Int) {
            (self.rowsIn, self.kept, self.dropped) = (rowsIn, kept, dropped)
            (self.localOnly, self.coarsened, self.rejected) = (localOnly, coarsened, rejected)
        }

        /// The counts of rows by decision: `byDecision[Decision.code]`.
        init(byDecision c: UnsafeBufferPointer<Int>) {
            (rowsIn, kept, coarsened) = (c[0] + c[1] + c[2] + c[3] + c[4], c[0] + c[1], c[1])
            (dropped, localOnly, rejected) = (c[2] + c[3], c[3], c[4])
        }

        static func + (a: RowCounts, b: RowCounts) -> RowCounts {
            RowCounts(
                rowsIn: a.rowsIn + b.rowsIn, kept: a.kept + b.kept, dropped: a.dropped + b.dropped,
                localOnly: a.localOnly + b.localOnly, coarsened: a.coarsened + b.coarsened, rejected: a.rejected + b.rejected)
        }

        /// JSON members `PREFIXin`, `PREFIXkept`, … (`rows_` for files, `fixes_` otherwise).
        func members(_ prefix: String) -> [JSONMember] {
            [
                JSONMember(prefix + "in", .number(Double(rowsIn))), JSONMember(prefix + "kept", .number(Double(kept))),
                JSONMember(prefix + "dropped", .number(Double(dropped))),
                JSONMember(prefix + "local_only", .number(Double(localOnly))),
                JSONMember(prefix + "coarsened", .number(Double(coarsened))),
                JSONMember(prefix + "rejected", .number(Double(rejected))),
            ]
        }

        /// `in 10, kept 8, dropped 1, coarsened 0, rejected 1`.
        var summary: String {
            var out: [UInt8] = []
            writeSummary(into: &out)
            return String(decoding: out, as: UTF8.self)
        }

        /// Appends `summary`'s bytes (a report line per vehicle: no string made for each).
        func writeSummary(into out: inout [UInt8]) {
            Self.write("in ", rowsIn, &out)
            Self.write(", kept ", kept, &out)
            Self.write(", dropped ", dropped, &out)
            Self.write(", coarsened ", coarsened, &out)
            Self.write(", rejected ", rejected, &out)
        }

        private static func write(_ label: StaticString, _ n: Int, _ out: inout [UInt8]) {
            label.withUTF8Buffer { out.append(contentsOf: $0) }
            JSONWriter.number(Double(n), into: &out)
        }
    }

    /// One input file's rows.
    /// A value; `Sendable`.
    public struct FileCounts: Sendable {
        public var file: String
        public var format: String
        public var redacted: String?
        public var counts = RowCounts()
    }

    /// One vehicle's figures.
    /// A value; `Sendable`.
    public struct VehicleCounts: Sendable {
        public var counts = RowCounts()
        public var suppressedSeconds = 0.0
        public var enters = 0
        public var directives = 0
        public var zonesTouched: [String] = []

        /// The vehicle's object in `report.json`'s vehicle list, as `JSONWriter(indent: 2)`
        /// writes it at level 2 (members on lines indented by 6, the zone list's items by 8).
        func writeJSON(id: String, into out: inout [UInt8]) {
            // Static helpers on `inout out` (array literals appended would each be allocated).
            Self.raw("{\n      \"vehicle_id\": ", &out)
            JSONWriter.quote(id, into: &out)
            Self.number(",\n      \"fixes_in\": ", Double(counts.rowsIn), &out)
            Self.number(",\n      \"fixes_kept\": ", Double(counts.kept), &out)
            Self.number(",\n      \"fixes_dropped\": ", Double(counts.dropped), &out)
            Self.number(",\n      \"fixes_local_only\": ", Double(counts.localOnly), &out)
            Self.number(",\n      \"fixes_coarsened\": ", Double(counts.coarsened), &out)
            Self.number(",\n      \"fixes_rejected\": ", Double(counts.rejected), &out)
            Self.number(",\n      \"suppressed_s\": ", suppressedSeconds, &out)
            Self.number(",\n      \"enters\": ", Double(enters), &out)
            Self.number(",\n      \"directives\": ", Double(directives), &out)
            Self.raw(",\n      \"zones_touched\": ", &out)
            if zonesTouched.isEmpty {
                Self.raw("[]", &out)
            } else {
                for (k, zone) in zonesTouched.enumerated() {
                    Self.raw(k == 0 ? "[\n        " : ",\n        ", &out)
                    JSONWriter.quote(zone, into: &out)
                }
                Self.raw("\n      ]", &out)
            }
            Self.raw("\n    }", &out)
        }

        private static func raw(_ s: StaticString, _ out: inout [UInt8]) {
            s.withUTF8Buffer { out.append(contentsOf: $0) }
        }

        private static func number(_ key: StaticString, _ v: Double, _ out: inout [UInt8]) {
            raw(key, &out)
            JSONWriter.number(v, into: &out)
        }
    }

    /// One category's figures (a row dropped under zones of two categories counts for both).
    /// A value; `Sendable`.
    public struct CategoryCounts: Sendable {
        public var dropped = 0, coarsened = 0, enters = 0
        public var suppressedSeconds = 0.0
        public var zones = Set<String>()
        public var vehicles = Set<String>()
    }

    public let zoneSetName: String
    public let zoneSetVersion: Int
    public let configuration: EngineConfiguration
    /// True when every vehicle's fixes came in time order (no sort was needed).
    public let ordered: Bool
    public var files: [FileCounts] = []
    public var vehicles: [String: VehicleCounts] = [:]
    public var categories: [Category: CategoryCounts] = [:]
    public var issues = IssueLog(strict: false)
    /// Rows whose vehicle id could not be read (counted in totals only).
    public var unattributed = 0
    /// Wall-clock seconds of the first pass (reading and evaluating, sorting included) and of
    /// the second (redacting, counting, drawing, and writing every output). For people and
    /// benchmarks; not written into `report.json`, whose bytes depend on the input only.
    public internal(set) var evaluateSeconds = 0.0, writeSeconds = 0.0

    init(zones: ZoneSnapshot, configuration: EngineConfiguration, ordered: Bool) {
        zoneSetName = zones.setName
        zoneSetVersion = zones.version
        self.configuration = configuration
        self.ordered = ordered
    }

    /// Totals over all inputs.
    public var totals: RowCounts { files.reduce(RowCounts()) { $0 + $1.counts } }

    /// Per-row counting for one pass over an input, in arrays rather than dictionaries (a
    /// row costs one dictionary probe only when its vehicle differs from the previous row's):
    /// merged into the report by `merge(into:)`. Noncopyable: it owns its counters, plain
    /// memory freed with it, so that counting a row is an increment and nothing else (an array
    /// stored here was checked for uniqueness at every write). Owned by the pass.
    struct Tally: ~Copyable {
        /// Vehicle slots, and each slot's timeline.
        var slots = VehicleSlots()
        /// (An empty timeline for a vehicle without one: an optional's copy at every row would
        /// retain and release its arrays.)
        var timelines: [VehicleTimeline] = []
        /// Slots by the rows' scan keys (`TripRow.idKey`), of this pass over one input.
        var keys = ScanKeyMemo()
        var file: FileCounts
        /// Room for this many slots in `rows` and `segments`.
        private var capacity: Int
        /// Rows by slot and decision, `rows[5 × (slot + 1) + Decision.code]`, after the rows of
        /// no vehicle (`rows[0..<5]`, slot −1).
        private var rows: UnsafeMutablePointer<Int>
        /// Per slot, the timeline segment of its last row (`VehicleTimeline.action(at:segment:)`).
        private var segments: UnsafeMutablePointer<Int>
        /// Dropped (local-only included) rows by their categories' mask (`VehicleTimeline.mask`),
        /// then coarsened rows likewise: one count a row, told apart by category at the merge.
        private let byMask: UnsafeMutablePointer<Int>

        init(file: FileCounts) {
            self.file = file
            capacity = 64
            rows = .allocate(capacity: 5 * (capacity + 1))
            rows.initialize(repeating: 0, count: 5 * (capacity + 1))
            segments = .allocate(capacity: capacity)
            segments.initialize(repeating: 0, count: capacity)
            byMask = .allocate(capacity: 512)
            byMask.initialize(repeating: 0, count: 512)
        }

        deinit {
            rows.deallocate()
            segments.deallocate()
            byMask.deallocate()
        }

        /// The slot of `vehicle` (made on first sight, with its timeline from `all`); `hash` is
        /// `VehicleSlots.hash(vehicle)` or 0, `key` the row's scan key (its slot then comes from
        /// the memo after the key's first row).
        mutating func slot(of vehicle: String, hash: UInt64 = 0, key: UInt16 = TripRow.noKey, timelines all: [String: VehicleTimeline]) -> Int {
            if let known = keys.slot(key) { return Int(known) }
            let (k, isNew) = slots.slot(of: vehicle, hash: hash)
            keys.learn(key, Int32(k))
            if isNew {
                if k >= capacity { grow(to: max(2 * capacity, k + 1)) }
                timelines.append(all[vehicle] ?? VehicleTimeline(events: [], lastFix: 0))
            }
            return k
        }

        /// Room for `slots` slots, the counts so far kept and the new ones zero.
        private mutating func grow(to slots: Int) {
            rows = Self.resized(rows, from: 5 * (capacity + 1), to: 5 * (slots + 1))
            segments = Self.resized(segments, from: capacity, to: slots)
            capacity = slots
        }

        /// `p` (`count` counters) moved into `newCount` counters, the new ones zero; `p` is freed.
        private static func resized(_ p: UnsafeMutablePointer<Int>, from count: Int, to newCount: Int) -> UnsafeMutablePointer<Int> {
            let q = UnsafeMutablePointer<Int>.allocate(capacity: newCount)
            q.moveInitialize(from: p, count: count)
            (q + count).initialize(repeating: 0, count: newCount - count)
            p.deallocate()
            return q
        }

        /// The data action in force for slot `k`'s vehicle at `time` and its categories (found
        /// from the segment of the slot's last row).
        mutating func action(slot k: Int, at time: Int64) -> (DataAction, UInt8) {
            let segment = segments + k
            return timelines.withUnsafeBufferPointer { t in t[k].action(at: time, segment: &segment.pointee) }
        }

        @inline(__always)
        mutating func count(slot k: Int?, decision: Decision, categories mask: UInt8) {
            rows[5 * ((k ?? -1) + 1) + decision.code] += 1
            guard mask != 0 else { return }
            switch decision {
            case .keep, .reject: return
            case .coarsen: byMask[256 + Int(mask)] += 1
            case .drop, .localOnly: byMask[Int(mask)] += 1
            }
        }

        /// Rows of slot `k` (−1: of no vehicle).
        func counts(slot k: Int) -> RowCounts {
            RowCounts(byDecision: UnsafeBufferPointer(start: rows + 5 * (k + 1), count: 5))
        }

        /// Dropped and coarsened rows by category (`Category.allCases` order): each mask's rows
        /// count for every category of the mask.
        func byCategory() -> (dropped: [Int], coarsened: [Int]) {
            var dropped = [Int](repeating: 0, count: Category.allCases.count)
            var coarsened = dropped
            for mask in 1..<256 where byMask[mask] != 0 || byMask[256 + mask] != 0 {
                var bits = mask
                while bits != 0 {
                    let c = bits.trailingZeroBitCount
                    if c < dropped.count {
                        dropped[c] += byMask[mask]
                        coarsened[c] += byMask[256 + mask]
                    }
                    bits &= bits - 1
                }
            }
            return (dropped, coarsened)
        }

        func merge(into report: inout ReplayReport) {
            var file = self.file
            for k in -1..<slots.ids.count { file.counts += counts(slot: k) }
            report.files.append(file)
            report.unattributed += counts(slot: -1).rowsIn
            for (k, id) in slots.ids.enumerated() { report.vehicles[id, default: VehicleCounts()].counts += counts(slot: k) }
            let (dropped, coarsened) = byCategory()
            for (c, category) in Category.allCases.enumerated() where dropped[c] != 0 || coarsened[c] != 0 {
                report.categories[category, default: CategoryCounts()].dropped += dropped[c]
                report.categories[category, default: CategoryCounts()].coarsened += coarsened[c]
            }
        }
    }

    /// Adds what the engine found per vehicle (enters, directives, zones touched, suppressed
    /// time) and per category (`findings`: the zones named and the enters, from the evaluation
    /// workers). Zones come by number in `zones`. The categories' suppressed times are summed in
    /// whole milliseconds, so the result does not depend on the order `runs` is visited in (a
    /// dictionary's order changes from one process to the next).
    mutating func finish(
        vehicles runs: [String: Evaluation.Finished], timelines: [String: VehicleTimeline], findings: Evaluation.CategoryFindings,
        zones: ZoneSnapshot
    ) {
        let all = Category.allCases
        var perCategory = all.map { categories[$0] ?? CategoryCounts() }
        var present = all.map { categories[$0] != nil }
        var suppressed = [Int64](repeating: 0, count: all.count)
        for (id, run) in runs {
            var v = vehicles[id] ?? VehicleCounts()
            v.enters = run.enters
            v.directives = run.directiveCount
            let named = run.zones.map { zones.rules[Int($0)].id }
            // A vehicle touches a handful of zones: the comparator's sort is cheaper there.
            v.zonesTouched = Self.unique(named.count < 32 ? named.sorted(by: naturalIDOrder) : naturalIDSorted(named))
            var bits = Int(run.categories)
            while bits != 0 {
                let k = bits.trailingZeroBitCount
                bits &= bits - 1
                present[k] = true
                perCategory[k].vehicles.insert(id)
            }
            if let t = timelines[id] {
                v.suppressedSeconds = Double(t.suppressedMilliseconds) / 1000
                for (c, ms) in t.categoryMilliseconds {
                    present[c.position] = true
                    suppressed[c.position] += ms
                }
            }
            vehicles[id] = v
        }
        for (k, c) in all.enumerated() where present[k] {
            perCategory[k].zones.formUnion(findings.zones[k].map { zones.rules[Int($0)].id })
            perCategory[k].enters += findings.enters[k]
            perCategory[k].suppressedSeconds += Double(suppressed[k]) / 1000
            categories[c] = perCategory[k]
        }
    }

    /// A sorted list without its repeats (equal as strings are: adjacent once sorted).
    static func unique(_ sorted: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(sorted.count)
        for s in sorted where out.last != s { out.append(s) }
        return out
    }

    // MARK: - Rendering

    public func json() -> String {
        var out: [UInt8] = []
        json(vehicleOrder: naturalIDSorted(vehicles.keys)) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    /// `report.json`, handed to `emit` in pieces of about 64 KiB: the vehicles one at a time
    /// (`vehicleOrder`: the keys of `vehicles` in `naturalIDOrder`), written straight as bytes,
    /// so that a fleet of hundreds of thousands of vehicles is never one tree of values, nor one
    /// string, in memory. The bytes are those of `JSONWriter(indent: 2)` for the whole report
    /// (a test compares them).
    func json<E: Error>(vehicleOrder: [String], _ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        let t = totals
        let writer = JSONWriter(indent: 2)
        func fileObject(_ f: FileCounts) -> JSONValue {
            var members: [JSONMember] = [
                JSONMember("file", .string(f.file)), JSONMember("format", .string(f.format)),
            ]
            if let r = f.redacted { members.append(JSONMember("redacted", .string(r))) }
            return .object(members + f.counts.members("rows_"))
        }
        let enters = vehicles.values.reduce(0) { $0 + $1.enters }
        // In the list's order: a sum over a dictionary's order could change in its last digit
        // from one process to the next.
        let suppressed = vehicleOrder.reduce(0.0) { $0 + (vehicles[$1]?.suppressedSeconds ?? 0) }
        let directives = vehicles.values.reduce(0) { $0 + $1.directives }
        let totals: JSONValue = .object(t.members("fixes_") + [
            JSONMember("vehicles", .number(Double(vehicles.count))), JSONMember("enters", .number(Double(enters))),
            JSONMember("directives", .number(Double(directives))), JSONMember("suppressed_s", .number(suppressed)),
        ])
        let categoryList: [JSONValue] = Category.allCases.compactMap { c in
            guard let v = categories[c] else { return nil }
            return .object([
                JSONMember("category", .string(c.rawValue)), JSONMember("fixes_dropped", .number(Double(v.dropped))),
                JSONMember("fixes_coarsened", .number(Double(v.coarsened))),
                JSONMember("suppressed_s", .number(v.suppressedSeconds)), JSONMember("enters", .number(Double(v.enters))),
                JSONMember("zones_touched", .number(Double(v.zones.count))),
                JSONMember("vehicles", .number(Double(v.vehicles.count))),
            ])
        }
        let issueList: [JSONValue] = issues.first.map { i in
            .object([JSONMember("file", .string(i.file)), JSONMember("line", .number(Double(i.line))), JSONMember("problem", .string(i.message))])
        }
        // The root object as `JSONWriter(indent: 2)` writes it, member by member.
        var head = "{"
        func member(_ key: String, first: Bool = false) {
            head += first ? "\n  " : ",\n  "
            JSONWriter.quote(key, into: &head)
            head += ": "
        }
        member("zone_set", first: true)
        writer.write(.string(zoneSetName), into: &head, level: 1)
        member("zone_set_version")
        writer.write(.number(Double(zoneSetVersion)), into: &head, level: 1)
        member("input_order")
        writer.write(.string(ordered ? "time_ordered" : "sorted"), into: &head, level: 1)
        member("configuration")
        writer.write(.object(EngineConfiguration.keys.map { JSONMember($0, .number(configuration[key: $0] ?? 0)) }), into: &head, level: 1)
        member("inputs")
        writer.write(.array(files.map(fileObject)), into: &head, level: 1)
        member("totals")
        writer.write(totals, into: &head, level: 1)
        member("categories")
        writer.write(.array(categoryList), into: &head, level: 1)
        member("vehicles")
        var out = Array(head.utf8)
        // The vehicle list (level 1), each vehicle an object at level 2.
        var listed = 0
        for id in vehicleOrder {
            guard let v = vehicles[id] else { continue }
            out.append(contentsOf: listed == 0 ? "[\n    ".utf8 : ",\n    ".utf8)
            listed += 1
            v.writeJSON(id: id, into: &out)
            if out.count >= 1 << 16 {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        var tail = listed == 0 ? "[]" : "\n  ]"
        tail += ",\n  "
        JSONWriter.quote("unusable_rows", into: &tail)
        tail += ": "
        writer.write(
            .object([JSONMember("count", .number(Double(issues.count))), JSONMember("first", .array(issueList))]), into: &tail, level: 1)
        tail += "\n}\n"
        out += Array(tail.utf8)
        try emit(out)
    }

    public func text() -> String {
        var out: [UInt8] = []
        text(vehicleOrder: naturalIDSorted(vehicles.keys)) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    /// `report.txt`, handed to `emit` in pieces of about 64 KiB (`vehicleOrder` as for `json`);
    /// the vehicle lines are written straight as bytes.
    func text<E: Error>(vehicleOrder: [String], _ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        let t = totals
        func pct(_ n: Int) -> String {
            guard t.rowsIn > 0 else { return "" }
            let p = (Double(n) * 1000 / Double(t.rowsIn)).rounded() / 10
            return " (\(JSONWriter.number(p)) %)"
        }
        func duration(_ s: Double) -> String {
            let total = Int(s.rounded())
            return total >= 3600 ? "\(total / 3600) h \(total / 60 % 60) min" : total >= 60 ? "\(total / 60) min \(total % 60) s" : "\(total) s"
        }
        var head = "Cordon replay report\n\n"
        head += "Zone set: \(zoneSetName) version \(zoneSetVersion)\n"
        head += "Input order: " + (ordered ? "every vehicle's fixes in time order\n" : "not in time order per vehicle: sorted by vehicle and time before evaluation\n")
        head += "\nTotals\n"
        head += "  fixes in          \(t.rowsIn)\n"
        head += "  kept              \(t.kept)\(pct(t.kept))\n"
        head += "    of them coarsened \(t.coarsened)\(pct(t.coarsened))\n"
        head += "  dropped           \(t.dropped)\(pct(t.dropped))\(t.localOnly > 0 ? ", of which kept on board only: \(t.localOnly)" : "")\n"
        head += "  rejected          \(t.rejected)\(pct(t.rejected))\n"
        head += "  vehicles          \(vehicles.count), enters \(vehicles.values.reduce(0) { $0 + $1.enters }), suppressed \(duration(vehicleOrder.reduce(0.0) { $0 + (vehicles[$1]?.suppressedSeconds ?? 0) }))\n"
        head += "\nInputs\n"
        for f in files {
            head += "  \(f.file) (\(f.format)): \(f.counts.summary)"
            head += f.redacted.map { " -> \($0)\n" } ?? "\n"
        }
        head += "\nBy category\n"
        for c in Category.allCases {
            guard let v = categories[c] else { continue }
            head += "  \(c.rawValue): dropped \(v.dropped), coarsened \(v.coarsened), enters \(v.enters), suppressed \(duration(v.suppressedSeconds)), zones \(v.zones.count), vehicles \(v.vehicles.count)\n"
        }
        head += "\nBy vehicle\n"
        var out = Array(head.utf8)
        // `  ID: in N, kept N, dropped N, coarsened N, rejected N, enters N, suppressed D[, zones A, B… (+N)]`
        func raw(_ s: StaticString) { s.withUTF8Buffer { out.append(contentsOf: $0) } }
        func int(_ n: Int) { JSONWriter.number(Double(n), into: &out) }
        for id in vehicleOrder {
            guard let v = vehicles[id] else { continue }
            if out.count >= 1 << 16 {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
            raw("  ")
            out.append(contentsOf: id.utf8)
            raw(": ")
            v.counts.writeSummary(into: &out)
            raw(", enters ")
            int(v.enters)
            raw(", suppressed ")
            out.append(contentsOf: duration(v.suppressedSeconds).utf8)
            if !v.zonesTouched.isEmpty {
                raw(", zones ")
                for (k, zone) in v.zonesTouched.prefix(8).enumerated() {
                    if k > 0 { raw(", ") }
                    out.append(contentsOf: zone.utf8)
                }
                if v.zonesTouched.count > 8 {
                    raw(" (+")
                    int(v.zonesTouched.count - 8)
                    raw(")")
                }
            }
            out.append(10)
        }
        var tail = ""
        if issues.count > 0 {
            tail += "\nUnusable rows: \(issues.count)\n"
            for i in issues.first.prefix(20) { tail += "  \(i)\n" }
            if issues.count > 20 { tail += "  … \(issues.count - 20) more in report.json (first \(IssueLog.kept))\n" }
        }
        out.append(contentsOf: tail.utf8)
        try emit(out)
    }
}
