import CordonCore
import Testing

/// `String(validUTF8:)` accepts and refuses exactly what `String(validating:as:)` does.
@Suite struct UTF8Tests {
    @Test func equalsTheStandardValidation() {
        var state: UInt64 = 20_261_122
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        // Bytes biased towards UTF-8's structure: ASCII, lead bytes, continuation bytes, the
        // bytes of surrogates, overlong forms and U+FFFD itself, and anything.
        let pieces: [[UInt8]] = [
            [0x41], [0x7F], [0xC2, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xEF, 0xBF, 0xBD], [0x80], [0xBF],
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF], [0xE2, 0x82],
            [0xF0, 0x9F, 0x98], [0x00],
        ]
        var valid = 0, invalid = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(next() % 6) {
                bytes += next() % 4 == 0 ? [UInt8(truncatingIfNeeded: next())] : pieces[Int(next() % UInt64(pieces.count))]
            }
            bytes.withUnsafeBufferPointer { b in
                let expected = String(validating: b, as: UTF8.self)
                #expect(String(validUTF8: b) == expected, "\(bytes)")
                if expected == nil { invalid += 1 } else { valid += 1 }
            }
        }
        #expect(valid > 1_000 && invalid > 1_000)
    }
}
