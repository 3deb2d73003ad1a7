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
