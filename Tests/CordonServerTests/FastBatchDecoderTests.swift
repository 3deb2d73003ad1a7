import Cordon
@testable import CordonServer
import Testing

@Suite struct FastBatchDecoderTests {
    /// Whenever the fast decoder answers, the general path gives the same fixes; and it does
    /// answer for ordinary bodies (so the fast path is really taken).
    @Test func agreesWithTheGeneralPath() throws {
        var rng = SystemRandomNumberGenerator()
        var bodies: [String] = SecurityTests.hostileBodies
        let numbers = ["0", "-0", "1", "39.9154563", "116.3764", "-12.5e-3", "1E2", "90", "-180", "0.0000001", "1e400", "01", "1.", "+1", "-", "null", "\"1\""]
        for _ in 0..<400 {
            var fixes: [String] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                var members = [
                    "\"vehicle_id\": \"V\(Int.random(in: 1...3, using: &rng))\"",
                    "\"time\": \"2026-03-02T00:00:0\(Int.random(in: 0...9, using: &rng))Z\"",
                    "\"lat\": \(numbers.randomElement(using: &rng) ?? "1")", "\"lon\": \(numbers.randomElement(using: &rng) ?? "1")",
                ]
                for optional in ["accuracy", "speed", "heading"] where Bool.random(using: &rng) {
                    members.append("\"\(optional)\": \(numbers.randomElement(using: &rng) ?? "1")")
                }
                if Int.random(in: 0..<10, using: &rng) == 0 { members.append("\"extra\": 1") }
                if Int.random(in: 0..<10, using: &rng) == 0 { members.removeFirst() }
                members.shuffle(using: &rng)
                fixes.append("{" + members.joined(separator: Bool.random(using: &rng) ? "," : " ,\n ") + "}")
            }
            bodies.append("{\"fixes\": [" + fixes.joined(separator: ",") + "]}")
        }
        var answered = 0
        for body in bodies {
            let bytes = Array(body.utf8)
            guard let fast = FastBatchDecoder.decode(bytes, limit: 10_000) else { continue }
            answered += 1
            let general = try FixDecoder(batchLimit: 10_000).batch(FixDecoder.parse(bytes))
            #expect(fast == general, "\(body)")
        }
        #expect(answered > 40)
        let plain = batchJSON([fixJSON("V1", 0, lat: 39.9, lon: 116.3, extra: ",\"accuracy\":5,\"speed\":null")])
        #expect(FastBatchDecoder.decode(Array(plain.utf8), limit: 10) != nil)
        #expect(FastBatchDecoder.decode(Array(plain.utf8), limit: 0) == nil)
    }
}
