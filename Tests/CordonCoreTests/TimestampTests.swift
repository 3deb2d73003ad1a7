@testable import CordonCore
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-03-02T00:00:00Z", Int64(1_772_409_600_000)),
        ("2026-03-02T08:00:00+08:00", Int64(1_772_409_600_000)),
        ("2026-03-01T19:00:00-0500", Int64(1_772_409_600_000)),
        ("2026-03-02T00:00:00.250Z", Int64(1_772_409_600_250)),
        ("2026-03-02T00:00:00.2509Z", Int64(1_772_409_600_250)),
        ("2026-03-02 00:00:00Z", Int64(1_772_409_600_000)),
        ("2026-03-02", Int64(1_772_409_600_000)),
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1969-12-31T23:59:59Z", Int64(-1000)),
        ("2024-02-29T12:00:00Z", Int64(1_709_208_000_000)),
        // An offset of whole hours alone, as PostgreSQL writes `timestamptz`.
        ("2026-03-02 00:00:00.123456+00", Int64(1_772_409_600_123)),
        ("2026-03-02T05:00:00+05", Int64(1_772_409_600_000)),
        ("2026-03-01T21:00:00-03", Int64(1_772_409_600_000)),
    ])
    func parses(_ text: String, _ ms: Int64) {
        #expect(Timestamp(iso8601: text)?.millisecondsSinceEpoch == ms)
    }

    @Test(arguments: [
        "", "2026-3-2", "2026-02-30T00:00:00Z", "2025-02-29", "2026-03-02T25:00:00Z", "2026-03-02T00:60:00Z",
        "2026-03-02T00:00:00", "2026-03-02T00:00:00+8", "2026-03-02T00:00:00Zjunk", "2026-13-01", "next tuesday",
        "2026-03-02T00:00:00.Z", "2026-03-02T00:00:00+24", "2026-03-02T00:00:00+05:", "2026-03-02T00:00:00+05:3",
        "2026-03-02T00:00:00+0", "2026-03-02T00:00:00+05:60", "2026-03-02T00:00:00+00:00:00",
    ])
    func refuses(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func formatsAndReparses() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let ms = Int64(bitPattern: state >> 1) % 8_000_000_000_000 - 2_000_000_000_000
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(Timestamp(iso8601: t.iso8601) == t, "\(t.iso8601)")
        }
        #expect(Timestamp(millisecondsSinceEpoch: 1_772_409_600_250).iso8601 == "2026-03-02T00:00:00.250Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }

    /// The digit-by-digit text of years 0–9999 equals the text joined from padded pieces, which
    /// formats every other year too.
    @Test func formatsAsThePaddedPiecesDo() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        let first = try #require(Timestamp(iso8601: "0000-01-01")), last = try #require(Timestamp(iso8601: "9999-12-31T23:59:59.999Z"))
        let range = first.millisecondsSinceEpoch...last.millisecondsSinceEpoch
        for k in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var ms = range.lowerBound + Int64(bitPattern: state >> 2) % (range.upperBound - range.lowerBound + 1)
            if k % 3 == 0 { ms -= ms % 1000 }  // whole seconds: no fraction written
            if k % 5 == 0 { ms -= ms % 10 }  // a fraction ending in zero
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(t.iso8601 == t.iso8601Joined)
        }
        for ms in [range.lowerBound, range.upperBound, 0, -1, range.lowerBound - 1, range.upperBound + 1] {
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(t.iso8601 == t.iso8601Joined, "\(ms)")
        }
    }
}
