import CordonCore
import CordonEngine
import CordonFormats
import Testing

@testable import CordonReplay

/// `TimeCache` reads a run of ISO 8601 timestamps by comparing bytes with the last one; it must
/// give exactly what `FieldParse.time` gives, for every text, well formed or not.
@Suite struct TimeCacheTests {
    /// SplitMix64: a fixed sequence, so the run is the same on every machine.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// A timestamp text: any date, hours up to 24, seconds up to 60, optional fractions, every
    /// zone designator form (or none).
    static func text(_ r: inout Mix) -> String {
        let year = 1960 + r.below(150), month = 1 + r.below(12), day = 1 + r.below(28)
        var s = "\(year)-\(two(month))-\(two(day))" + ["T", "t", " "][r.below(3)]
        s += "\(two(r.below(25))):\(two(r.below(60))):\(two(r.below(61)))"
        if r.below(4) == 0 { s += "." + String(r.below(1000)) }
        switch r.below(5) {
        case 0: s += "Z"
        case 1: s += "z"
        case 2: s += (r.below(2) == 0 ? "+" : "-") + two(r.below(24)) + ":" + two(r.below(60))
        case 3: s += "+" + two(r.below(24)) + two(r.below(60))
        default: break
        }
        return s
    }

    @Test func equalsTheGeneralParserOnRunsOfTimestamps() {
        var r = Mix(state: 2026_1121)
        var cache = TimeCache()
        var hits = 0, checked = 0
        for _ in 0..<4_000 {
            var bytes = Array(Self.text(&r).utf8)
            // A run as a 1 Hz log writes it: mostly new minute and second digits, sometimes
            // another byte changed (digits, separators and designators alike) or a new text.
            for _ in 0..<(1 + r.below(60)) {
                switch r.below(10) {
                case 0: bytes = Array(Self.text(&r).utf8)
                case 1:
                    let k = r.below(bytes.count)
                    bytes[k] = Array("0123456789:-+TZ. x".utf8)[r.below(18)]
                default:
                    if bytes.count >= 19 {
                        bytes[14] = UInt8(48 + r.below(7))
                        bytes[15] = UInt8(48 + r.below(10))
                        bytes[17] = UInt8(48 + r.below(7))
                        bytes[18] = UInt8(48 + r.below(10))
                    }
                }
                let (expected, got) = bytes.withUnsafeBufferPointer { b in (FieldParse.time(b), cache.time(b)) }
                #expect(got == expected, "\(String(decoding: bytes, as: UTF8.self))")
                checked += 1
                if expected != nil { hits += 1 }
            }
        }
        // The run must have exercised valid texts a lot, not only refusals.
        #expect(checked > 100_000 && hits > checked / 3, "\(hits) valid of \(checked)")
    }

    @Test func aChangedSeparatorOrHour24IsNotTakenFromTheCache() {
        var cache = TimeCache()
        func time(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBufferPointer { cache.time($0) } }
        #expect(time("2026-03-02T00:00:00Z") == 1_772_409_600_000)
        #expect(time("2026-03-02T00:01:05Z") == 1_772_409_665_000)
        #expect(time("2026-03-02T00:01x05Z") == nil)
        #expect(time("2026-03-02T24:00:00Z") == 1_772_496_000_000)
        #expect(time("2026-03-02T24:00:01Z") == nil)
        #expect(time("2026-03-02T23:59:60Z") == 1_772_496_000_000)
    }
}

/// `VehicleSlots` numbers ids in order of first sight through its own hash table.
@Suite struct VehicleSlotsTests {
    @Test func everyIdKeepsTheSlotOfItsFirstSight() {
        var slots = VehicleSlots()
        // Short and long ids, ids that differ in one bit of one byte, and the empty id; asked in
        // an interleaved order, as a fleet stream asks, after the table has grown several times.
        var ids = (0..<5_000).map { "V\($0)" } + (0..<500).map { "vehicle-with-a-long-name-\($0)" }
        ids += ["a", "A", "q", "Q", "", "é", "K"]
        var first: [String: Int] = [:]
        for (k, id) in ids.enumerated() {
            let (slot, isNew) = slots.slot(of: id)
            #expect(isNew && slot == k)
            first[id] = slot
        }
        // Spellings equal as Swift strings are (canonically) are one vehicle, as in a dictionary:
        // `é` as e + combining acute, and K as the Kelvin sign.
        for (spelling, id) in [("e\u{301}", "é"), ("\u{212A}", "K")] {
            #expect(spelling == id && Array(spelling.utf8) != Array(id.utf8))
            _ = slots.slot(of: "V1")
            let (slot, isNew) = slots.slot(of: spelling)
            #expect(!isNew && slot == first[id], "\(spelling)")
        }
        var r = TimeCacheTests.Mix(state: 7)
        for _ in 0..<50_000 {
            let id = ids[r.below(ids.count)]
            let (slot, isNew) = slots.slot(of: id)
            #expect(!isNew && slot == first[id], "\(id)")
        }
        #expect(slots.ids == ids)
    }
}

/// The CSV scanner remembers the vehicle ids it has read by their bytes (`VehicleIDCache`); a
/// remembered id must be exactly what reading the field again gives, for every id the rule
/// accepts or refuses, wherever the field stands in the buffer.
@Suite struct VehicleIDCacheTests {
    /// Scans `text` (header `vehicle_id,timestamp,lat,lon`) and returns its rows.
    static func scan(_ text: [UInt8]) throws -> [TripRow] {
        try text.withUnsafeBufferPointer { b in
            guard let (scanner, start) = try CSVScanner.header(b, atEnd: true, file: "t.csv", names: ColumnNames()) else {
                Issue.record("no header")
                return []
            }
            var rows: [TripRow] = []
            var memory = ScanMemory()
            _ = scanner.scan(b, start..<b.count, firstLine: 2, into: &rows, memory: &memory)
            return rows
        }
    }

    @Test func aRememberedIdIsWhatTheFieldSays() throws {
        var r = TimeCacheTests.Mix(state: 20_261_122)
        // Ids of 1 to 20 bytes that differ in one character (so keys that were cut or masked
        // wrongly would collide), ids the rule refuses (control characters, bytes that are not
        // UTF-8, empty), quoted ids and canonically equal spellings; 3,000 distinct ids, more than
        // the cache takes.
        var ids: [[UInt8]] = []
        for n in 1...20 {
            for c in ["0", "1", "9", "a", "A"] { ids.append(Array((String(repeating: "V", count: n - 1) + c).utf8)) }
        }
        ids += (0..<3_000).map { Array("car-\($0)".utf8) }
        ids += [[0x56, 0x01], [0x56, 0xFF, 0x31], [], Array("e\u{301}".utf8), Array("é".utf8)]
        var text = Array("vehicle_id,timestamp,lat,lon\n".utf8)
        var expected: [(id: [UInt8], quoted: Bool)] = []
        for k in 0..<60_000 {
            let id = k < ids.count ? ids[k] : ids[r.below(ids.count)]
            let quoted = r.below(10) == 0
            text += quoted ? [34] + id + [34] : id
            text += Array(",\(1_772_409_600 + k),39.9,116.4\n".utf8)
            expected.append((id, quoted))
        }
        // The last row's id ends the buffer, closer than 16 bytes to its end.
        text += ids[3] + Array(",1772500000,1,2".utf8)
        expected.append((ids[3], false))
        let rows = try Self.scan(text)
        #expect(rows.count == expected.count)
        for (row, (id, quoted)) in zip(rows, expected) {
            let valid = !id.isEmpty && String(validating: id, as: UTF8.self) != nil && !id.contains { $0 < 0x20 }
            if valid {
                #expect(row.malformed == nil && Array(row.vehicle.utf8) == id, "line \(row.line): \(row.vehicle) for \(id)")
                #expect(row.vehicleHash == 0 || row.vehicleHash == VehicleSlots.hash(row.vehicle), "line \(row.line)")
            } else {
                #expect(row.malformed != nil && row.vehicle.isEmpty, "line \(row.line): \(id) (quoted: \(quoted))")
            }
        }
        // Most rows were answered by the cache, which is what carries the hash.
        #expect(rows.filter { $0.vehicleHash != 0 }.count > 50_000)
    }

    /// A thread keeps one `ScanMemory` from chunk to chunk (the redaction pass scans chunks of
    /// 128 KiB): rows read through what other buffers taught it must be the rows a fresh scan
    /// reads, whatever the bytes around the ids and wherever they lie.
    @Test func aMemoryKeptAcrossBuffersReadsWhatAFreshScanReads() throws {
        var r = TimeCacheTests.Mix(state: 11_22)
        let ids: [[UInt8]] = (0..<300).map { Array("car-\($0)".utf8) } + [Array("e\u{301}".utf8), Array("é".utf8), [0x56, 0x01], []]
        var memory = ScanMemory()
        var seenBefore = Set<[UInt8]>()  // ids read unquoted in earlier buffers
        var crossBuffer = 0  // rows whose id only an earlier buffer taught the memory
        for piece in 0..<200 {
            var seenHere = Set<[UInt8]>()
            var text = Array("vehicle_id,note,timestamp,lat,lon\n".utf8)
            var expected: [(id: [UInt8], time: Int64)] = []
            for k in 0..<(1 + r.below(40)) {
                let id = ids[r.below(ids.count)]
                let quoted = r.below(8) == 0
                if !quoted {
                    if seenBefore.contains(id) && !seenHere.contains(id) { crossBuffer += 1 }
                    seenHere.insert(id)
                }
                // A note of 0 to 20 bytes moves the ids against the buffer's end and each other.
                let note = Array(repeating: UInt8(ascii: "n"), count: r.below(21))
                text += (quoted ? [34] + id + [34] : id) + [44] + note + Array(",\(1_772_409_600 + 60 * piece + k),39.9,116.4\n".utf8)
                expected.append((id, Int64(1_772_409_600 + 60 * piece + k) * 1000))
            }
            if r.below(2) == 0 { text.removeLast() }  // the last id may end closer than 16 bytes to the end
            try text.withUnsafeBufferPointer { b in
                guard let (scanner, start) = try CSVScanner.header(b, atEnd: true, file: "t.csv", names: ColumnNames()) else {
                    Issue.record("no header")
                    return
                }
                var kept: [TripRow] = [], fresh: [TripRow] = []
                var new = ScanMemory()
                _ = scanner.scan(b, start..<b.count, firstLine: 2, into: &kept, memory: &memory)
                _ = scanner.scan(b, start..<b.count, firstLine: 2, into: &fresh, memory: &new)
                #expect(kept.count == expected.count)
                #expect(fresh.count == expected.count)
                for (a, f) in zip(kept, fresh) {
                    #expect(a.vehicle == f.vehicle && a.malformed == f.malformed && a.time == f.time, "piece \(piece) line \(a.line)")
                    #expect(a.lat.bitPattern == f.lat.bitPattern && a.lon.bitPattern == f.lon.bitPattern && a.start == f.start && a.end == f.end)
                    #expect(a.vehicleHash == f.vehicleHash)
                }
                for (row, e) in zip(kept, expected) {
                    let valid = !e.id.isEmpty && String(validating: e.id, as: UTF8.self) != nil && !e.id.contains { $0 < 0x20 }
                    #expect((row.malformed == nil) == valid, "piece \(piece) line \(row.line)")
                    if valid { #expect(Array(row.vehicle.utf8) == e.id && row.time == e.time) }
                }
            }
            seenBefore.formUnion(seenHere)
        }
        #expect(crossBuffer > 1_000)
    }
}

/// The replay's first pass takes a block's rows vehicle by vehicle (`Evaluation.group`), each
/// vehicle's in input order: the counting sort and the sorted keys must both equal sorting by
/// vehicle and position.
@Suite struct GroupedByVehicleTests {
    @Test func equalsSortingTheKeys() {
        var r = TimeCacheTests.Mix(state: 5)
        for vehicles in [1, 7, 1_000, 40_000] {
            for count in [0, 1, 100, 10_000] {
                var keys: [UInt64] = []
                for row in 0..<count where r.below(5) != 0 { keys.append(UInt64(r.below(vehicles)) << 32 | UInt64(row)) }
                var grouped: [UInt64] = [7, 8]  // emptied first
                Evaluation.group(keys, vehicles: vehicles, by: { Int($0 >> 32) }, into: &grouped)
                #expect(grouped == keys.sorted(), "\(vehicles) vehicles, \(count) rows")
            }
        }
    }
}

/// The CSV reader cuts blocks between rows (`CSVScanner.forEachRowEnd`, `completeRows`,
/// `rowEnd`) where `CSVFields.row`, reading the rows one after another, ends them: otherwise a
/// row cut in two would read differently with more threads.
@Suite struct CSVRowEndTests {
    @Test func rowEndsAreWhereTheFieldReaderEndsRows() {
        var r = TimeCacheTests.Mix(state: 42)
        let alphabet: [UInt8] = Array("ab,\"\n\r".utf8)
        for _ in 0..<3_000 {
            let text = (0..<r.below(60)).map { _ in alphabet[r.below(alphabet.count)] }
            text.withUnsafeBufferPointer { b in
                // The reader's row ends: after each row whose line feed it consumed.
                var expected: [Int] = []
                var i = 0, line = 1
                let none = UnsafeMutableBufferPointer<CSVFields.Field>(start: nil, count: 0)
                while i < b.count {
                    let end = CSVFields.row(b, from: &i, to: b.count, line: &line, into: none)
                    if end.lineFeed { expected.append(i) }
                }
                var ends: [Int] = []
                CSVScanner.forEachRowEnd(b, from: 0, to: b.count) { ends.append($0); return true }
                #expect(ends == expected, "\(String(decoding: text, as: UTF8.self).debugDescription)")
                let (length, middle) = CSVScanner.completeRows(b)
                #expect(length == (expected.last ?? 0))
                #expect(middle == length || expected.contains(middle))
                for at in 0...b.count {
                    #expect(CSVScanner.rowEnd(b, after: at, from: 0, to: b.count) == (expected.first { $0 > at } ?? b.count))
                }
            }
        }
    }
}

/// Bytes without a quote are split 64 at a time (`CSVScanner.row(_:from:to:delimiters:into:)`,
/// `Delimiters`): every row must get the fields, field count and end that `CSVFields.row`
/// gives, whatever the runs between delimiters (empty, or longer than a window) and wherever
/// the windows fall; and a scan must read such rows as the general reader does.
@Suite struct QuoteFreeSplitTests {
    /// Random quote-free text: fields of 0 to 150 bytes (so some span several windows) of
    /// letters, digits, spaces, CRs and signs, ended by commas, line feeds or CRLFs.
    static func text(_ r: inout TimeCacheTests.Mix, rows: Int) -> [UInt8] {
        let alphabet: [UInt8] = Array("ab9 .-\r".utf8)
        var text: [UInt8] = []
        for _ in 0..<rows {
            for f in 0..<(1 + r.below(8)) {
                if f > 0 { text.append(44) }
                let length = r.below(4) == 0 ? r.below(151) : r.below(12)
                text += (0..<length).map { _ in alphabet[r.below(alphabet.count)] }
            }
            switch r.below(6) {
            case 0: text += [13, 10]
            case 1: text += [10, 10]  // and a blank line
            default: text.append(10)
            }
        }
        if r.below(2) == 0, !text.isEmpty { text.removeLast() }  // no line feed at the end
        return text
    }

    @Test func rowsSplitAsTheFieldReaderSplitsThem() {
        var r = TimeCacheTests.Mix(state: 64)
        for round in 0..<400 {
            let text = Self.text(&r, rows: 1 + r.below(30))
            let width = 1 + r.below(6)  // fields kept per row; the count goes on past them
            text.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                // Starting anywhere in the bytes: the windows fall elsewhere against the rows.
                let start = r.below(min(b.count, 70))
                let expected = UnsafeMutableBufferPointer<CSVFields.Field>.allocate(capacity: width)
                let fields = UnsafeMutableBufferPointer<CSVFields.Field>.allocate(capacity: width)
                defer { expected.deallocate(); fields.deallocate() }
                var i = start, j = start, line = 1
                var delimiters = Delimiters(base, from: start, to: b.count)
                while i < b.count {
                    expected.initialize(repeating: CSVFields.Field())
                    fields.initialize(repeating: CSVFields.Field())
                    let end = CSVFields.row(b, from: &i, to: b.count, line: &line, into: expected)
                    let count = CSVScanner.row(base, from: &j, to: b.count, delimiters: &delimiters, into: fields)
                    #expect(count == end.count && j == i, "round \(round), row ending at \(i)")
                    for k in 0..<min(width, count) {
                        #expect(fields[k].start == expected[k].start && fields[k].end == expected[k].end && !fields[k].quoted)
                    }
                    guard j == i else { return }
                }
                #expect(j == b.count)
            }
        }
    }

    /// Trip rows read through the quote-free split are the rows the general reader reads: the
    /// same text with a quoted row after them goes the general way.
    @Test func aScanReadsQuoteFreeRowsAsTheGeneralReaderDoes() throws {
        var r = TimeCacheTests.Mix(state: 65)
        var text = Array("vehicle_id,timestamp,lat,lon,speed,heading,note\r\n".utf8)
        for k in 0..<5_000 {
            let note = String(repeating: "x", count: r.below(5) == 0 ? r.below(200) : r.below(5))
            switch r.below(20) {
            case 0: text += Array("\n".utf8)  // blank
            case 1: text += Array("V\(r.below(9)),\(1_772_409_600 + k),39.5\n".utf8)  // too few fields
            case 2: text += Array("V\(r.below(9)),\(1_772_409_600 + k), 39.5 ,116.25,,,\(note)\r\n".utf8)
            default:
                text += Array("V\(r.below(9)),\(1_772_409_600 + k),\(Double(r.below(1_000_000)) / 1e4),116.\(r.below(10_000)),1.5,90,\(note)\n".utf8)
            }
        }
        let plain = try VehicleIDCacheTests.scan(text)
        let general = try VehicleIDCacheTests.scan(text + Array("\"V1\",1772500000,1,2,3,4,n\n".utf8))
        #expect(plain.count > 4_500 && general.count == plain.count + 1)
        for (a, g) in zip(plain, general) {
            #expect(a.start == g.start && a.end == g.end && a.line == g.line && a.malformed == g.malformed, "line \(g.line)")
            #expect(a.vehicle == g.vehicle && a.time == g.time && a.lat.bitPattern == g.lat.bitPattern && a.lon.bitPattern == g.lon.bitPattern)
            #expect(a.latStart == g.latStart && a.lonEnd == g.lonEnd && a.speed == g.speed && a.heading == g.heading)
        }
    }
}

/// The redaction tally counts rows by decision and makes the report's counts from them: each
/// decision must land in its own columns (coarsened rows are kept, local-only rows dropped),
/// per vehicle, per file and for the rows of no vehicle.
@Suite struct TallyTests {
    @Test func eachDecisionCountsInItsColumns() {
        var tally = ReplayReport.Tally(file: ReplayReport.FileCounts(file: "t.csv", format: "csv", redacted: "t.redacted.csv"))
        let a = tally.slot(of: "A", timelines: [:]), b = tally.slot(of: "B", timelines: [:])
        let decisions: [Decision] = [.keep, .keep, .coarsen(100), .drop, .localOnly, .reject, .reject, .reject]
        for d in decisions { tally.count(slot: a, decision: d, categories: 0) }
        tally.count(slot: b, decision: .localOnly, categories: 0)
        tally.count(slot: nil, decision: .reject, categories: 0)
        tally.count(slot: nil, decision: .keep, categories: 0)
        var report = ReplayReport(zones: ReplayTests.zones, configuration: EngineConfiguration(), ordered: true)
        tally.merge(into: &report)
        let counts = report.vehicles["A"]?.counts
        #expect(counts == ReplayReport.RowCounts(rowsIn: 8, kept: 3, dropped: 2, localOnly: 1, coarsened: 1, rejected: 3))
        #expect(report.vehicles["B"]?.counts == ReplayReport.RowCounts(rowsIn: 1, kept: 0, dropped: 1, localOnly: 1, coarsened: 0, rejected: 0))
        #expect(report.unattributed == 2)
        #expect(report.files.map(\.counts) == [ReplayReport.RowCounts(rowsIn: 11, kept: 4, dropped: 3, localOnly: 2, coarsened: 1, rejected: 4)])
    }

    /// Dropped and coarsened rows count for every category of their mask, kept and rejected
    /// rows for none, and a mask's bits past the categories are ignored.
    @Test func rowsCountForEachCategoryOfTheirMask() {
        var tally = ReplayReport.Tally(file: ReplayReport.FileCounts(file: "t.csv", format: "csv", redacted: "t.redacted.csv"))
        let a = tally.slot(of: "A", timelines: [:])
        let military = VehicleTimeline.mask([.military]), government = VehicleTimeline.mask([.government])
        let custom = VehicleTimeline.mask([.custom]), both = VehicleTimeline.mask([.military, .defenseIndustry])
        tally.count(slot: a, decision: .drop, categories: military)
        tally.count(slot: a, decision: .drop, categories: both)
        tally.count(slot: a, decision: .localOnly, categories: government | 0x80)
        tally.count(slot: a, decision: .coarsen(50), categories: both)
        tally.count(slot: a, decision: .coarsen(50), categories: custom)
        tally.count(slot: a, decision: .keep, categories: military)
        tally.count(slot: a, decision: .reject, categories: custom)
        var report = ReplayReport(zones: ReplayTests.zones, configuration: EngineConfiguration(), ordered: true)
        tally.merge(into: &report)
        #expect(report.categories[.military]?.dropped == 2 && report.categories[.military]?.coarsened == 1)
        #expect(report.categories[.defenseIndustry]?.dropped == 1 && report.categories[.defenseIndustry]?.coarsened == 1)
        #expect(report.categories[.government]?.dropped == 1 && report.categories[.government]?.coarsened == 0)
        #expect(report.categories[.custom]?.dropped == 0 && report.categories[.custom]?.coarsened == 1)
        #expect(report.categories.count == 4)
    }

    /// Counts survive the growth of the tally past its first room for slots.
    @Test func manySlotsKeepTheirCounts() {
        var tally = ReplayReport.Tally(file: ReplayReport.FileCounts(file: "t.csv", format: "csv", redacted: "t.redacted.csv"))
        for round in 0..<3 {
            for v in 0..<1_000 {
                let k = tally.slot(of: "V\(v)", timelines: [:])
                for _ in 0...(v % 4) { tally.count(slot: k, decision: round == 1 ? .drop : .keep, categories: 0) }
            }
        }
        var report = ReplayReport(zones: ReplayTests.zones, configuration: EngineConfiguration(), ordered: true)
        tally.merge(into: &report)
        for v in [0, 1, 63, 64, 65, 500, 999] {
            let n = v % 4 + 1
            #expect(report.vehicles["V\(v)"]?.counts == ReplayReport.RowCounts(rowsIn: 3 * n, kept: 2 * n, dropped: n, localOnly: 0, coarsened: 0, rejected: 0))
        }
    }
}

/// `TripRow` keeps its optional numbers as doubles with an absent pattern and its offsets in
/// 32 bits: what is set must read back, nil as nil and NaN as NaN (a NaN field is refused as
/// invalid, an absent one is not).
@Suite struct TripRowLayoutTests {
    @Test func fieldsReadBackAsSet() {
        var row = TripRow()
        #expect(row.accuracy == nil && row.speed == nil && row.heading == nil)
        row.accuracy = .nan
        row.speed = 0
        row.heading = -.infinity
        #expect(row.accuracy?.isNaN == true && row.speed == 0 && row.heading == -.infinity)
        row.accuracy = nil
        #expect(row.accuracy == nil && row.speed == 0)
        row.start = 0
        row.end = Int(UInt32.max)
        row.latStart = 1 << 31
        (row.latEnd, row.lonStart, row.lonEnd) = (7, 8, 9)
        #expect([row.start, row.end, row.latStart, row.latEnd, row.lonStart, row.lonEnd] == [0, Int(UInt32.max), 1 << 31, 7, 8, 9])
        #expect(MemoryLayout<TripRow>.stride <= 128)
    }
}

/// `report.json` is written piece by piece (the vehicles straight as bytes); its bytes must be
/// those of `JSONWriter(indent: 2)` for the whole report: reading it back and writing it again
/// gives the same bytes, for vehicles with and without zones, ids that need escapes, fractional
/// seconds, and none at all.
@Suite struct ReportJSONTests {
    @Test func streamedReportIsWhatTheWriterWrites() throws {
        for vehicles in [0, 1, 3, 2_000] {
            var report = ReplayReport(zones: ReplayTests.zones, configuration: EngineConfiguration(), ordered: vehicles != 1)
            report.files = [ReplayReport.FileCounts(file: "a \"b\".csv", format: "csv", redacted: "x.csv")]
            for k in 0..<vehicles {
                var v = ReplayReport.VehicleCounts()
                v.counts = ReplayReport.RowCounts(rowsIn: k, kept: k / 2, dropped: k - k / 2, localOnly: k % 3, coarsened: k % 2, rejected: 0)
                v.suppressedSeconds = Double(k) * 0.37
                v.enters = k % 5
                v.directives = 2 * k
                v.zonesTouched = (0..<(k % 4)).map { "z\($0)\\\"\u{1}é" }
                report.vehicles[k % 7 == 0 ? "V\t\"\(k)\"" : "\(k)"] = v
            }
            var pieces = 0
            var bytes: [UInt8] = []
            report.json(vehicleOrder: naturalIDSorted(report.vehicles.keys)) { (piece: [UInt8]) in
                bytes += piece
                pieces += 1
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text == report.json())
            let value = try JSONParser().parse(bytes, file: "report.json")
            #expect(JSONWriter(indent: 2).string(value) + "\n" == text, "\(vehicles) vehicles")
            guard case .object(let members) = value, let list = members.first(where: { $0.key == "vehicles" })?.value,
                case .array(let items) = list
            else {
                Issue.record("no vehicle list")
                continue
            }
            #expect(items.count == vehicles)
            if vehicles == 2_000 { #expect(pieces > 1) }
        }
    }
}

/// The replay's category masks use `Category.position`, which must be the place in `allCases`.
@Suite struct CategoryPositionTests {
    @Test func positionIsThePlaceInAllCases() {
        for (k, c) in Category.allCases.enumerated() { #expect(c.position == k, "\(c)") }
        #expect(VehicleTimeline.mask(Category.allCases) == (1 << Category.allCases.count) - 1)
    }

    /// The redaction pass finds each row's timeline segment from the one of its vehicle's last
    /// row (`action(at:segment:)`): from any starting segment, for times in order, at random or
    /// before the first breakpoint, the answer must be the segment a scan of the breakpoints
    /// finds (fails when the hint is trusted without checking the segment's end, checked).
    @Test func aTimelineSegmentFoundFromAnyStartIsTheOneInForce() {
        var r = TimeCacheTests.Mix(state: 11)
        let kinds: [Directive.Kind] = [.dataDropBegin, .dataDropEnd, .dataLocalOnlyBegin, .dataLocalOnlyEnd, .dataCoarsenBegin, .dataCoarsenEnd]
        for _ in 0..<200 {
            var events: [TimelineEvent] = []
            var t: Int64 = 1_000
            for _ in 0..<r.below(30) {
                t += Int64(r.below(3) * 500)  // equal times too
                events.append(TimelineEvent(kind: kinds[r.below(kinds.count)], categories: UInt8(1 << r.below(4)), effectiveAt: t, precisionMeters: 500))
            }
            let timeline = VehicleTimeline(events: events, lastFix: t)
            func expected(_ q: Int64) -> (DataAction, UInt8) {
                guard let k = timeline.times.lastIndex(where: { $0 <= q }) else { return (.none, 0) }
                return (timeline.actions[k], timeline.categories[k])
            }
            var segment = 0
            var q: Int64 = 0
            for step in 0..<60 {
                q = step % 10 == 9 ? Int64(r.below(Int(t) + 2_000)) : q + Int64(r.below(700))
                if step % 13 == 12 { segment = r.below(timeline.times.count + 3) - 1 }  // any start, even out of range
                let got = timeline.action(at: q, segment: &segment)
                #expect(got.0 == expected(q).0 && got.1 == expected(q).1, "at \(q) of \(timeline.times)")
                #expect(timeline.action(at: q) == got)
            }
        }
    }

    /// What a replay keeps per state change of a vehicle (docs/replay.md says 32 bytes).
    @Test func aTimelineEventTakes32Bytes() {
        #expect(MemoryLayout<TimelineEvent>.stride <= 32)
    }
}
