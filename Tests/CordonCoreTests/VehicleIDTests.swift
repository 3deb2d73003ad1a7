import CordonCore
import Testing

@Suite struct VehicleIDTests {
    /// The vehicle-id rule on every path (HTTP, tokens, replay): 1 to 128 bytes of UTF-8, no
    /// control characters, ASCII or not; both sides of each limit, small and heap strings (printable
    /// ASCII is decided on the contiguous bytes, the rest scalar by scalar).
    @Test func ruleHoldsOnBothSidesOfEachLimit() {
        let accepted = [
            "V0001", " ", "~", String(repeating: "a", count: 15), String(repeating: "a", count: 16),
            String(repeating: "x", count: 128), "车辆-42", String(repeating: "é", count: 64), "tab\u{A0}nbsp",
        ]
        for id in accepted { #expect(VehicleID.problem(id) == nil, "\(id)") }
        let refused: [(String, String)] = [
            ("", "is empty"),
            (String(repeating: "x", count: 129), "has 129 bytes (at most 128)"),
            (String(repeating: "é", count: 65), "has 130 bytes (at most 128)"),
            ("V\u{0}1", "contains a control character"), ("V\t", "contains a control character"),
            ("\u{7F}", "contains a control character"), ("V\u{85}", "contains a control character"),
            (String(repeating: "a", count: 40) + "\n", "contains a control character"),
        ]
        for (id, problem) in refused { #expect(VehicleID.problem(id) == problem, "\(id.debugDescription)") }
    }
}

/// Sorting many ids with each one's integer value read once must give `naturalIDOrder`'s order.
@Suite struct NaturalIDOrderTests {
    @Test func keyedSortEqualsTheComparatorsOrder() {
        var state: UInt64 = 0x2026_1122
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        // Integers (with signs, leading zeros and spaces that `Int` refuses), texts, equal
        // integers spelled differently, canonically equal spellings.
        let pieces = ["", "0", "00", "7", "-3", "+5", "12", "veh-", "V", "é", "e\u{301}", " ", "9223372036854775807", "99999999999999999999"]
        for round in 0..<50 {
            let ids = (0..<(1 + next(300))).map { _ in (0..<(1 + next(3))).map { _ in pieces[next(pieces.count)] }.joined() }
            let expected = ids.sorted(by: naturalIDOrder)
            #expect(naturalIDSorted(ids) == expected, "round \(round)")
            #expect(naturalIDPermutation(ids).map { ids[$0] } == expected)
        }
    }
}
