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
                // Now and then an id or a time the general path refuses (a C1 control, 129
                // bytes, a year outside 1970–2199): the fast path must not answer for those.
                let ids = ["V1", "V2", "V3", "京A12345", "V\u{85}", String(repeating: "z", count: 129), String(repeating: "z", count: 128)]
                let times = ["2026-03-02T00:00:0\(Int.random(in: 0...9, using: &rng))Z", "0001-01-01T00:00:00Z", "2200-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]
                var members = [
                    "\"vehicle_id\": \"\(Int.random(in: 0..<8, using: &rng) == 0 ? ids.randomElement(using: &rng) ?? "" : "V\(Int.random(in: 1...3, using: &rng))")\"",
                    "\"time\": \"\(Int.random(in: 0..<8, using: &rng) == 0 ? times.randomElement(using: &rng) ?? "" : times[0])\"",
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
            let general = try? FixDecoder(batchLimit: 10_000).batch(FixDecoder.parse(bytes))
            #expect(fast == general, "\(body)")
        }
        #expect(answered > 40)
        // Ids and times the general path refuses, in otherwise plain bodies: the fast path
        // leaves them to it, so they get the documented 422.
        for (id, time) in [("V\u{85}", "2026-03-02T00:00:00Z"), (String(repeating: "z", count: 129), "2026-03-02T00:00:00Z"),
                           ("V1", "0001-01-01T00:00:00Z"), ("V1", "2200-01-01T00:00:00Z")] {
            let body = "{\"fixes\":[{\"vehicle_id\":\"\(id)\",\"time\":\"\(time)\",\"lat\":1,\"lon\":2}]}"
            #expect(FastBatchDecoder.decode(Array(body.utf8), limit: 10) == nil, "\(body)")
            #expect(throws: APIError.self) { try FixDecoder(batchLimit: 10).batch(FixDecoder.parse(Array(body.utf8))) }
        }
        let fine = "{\"fixes\":[{\"vehicle_id\":\"京A12345\",\"time\":\"1970-01-01T00:00:00Z\",\"lat\":1,\"lon\":2}]}"
        #expect(FastBatchDecoder.decode(Array(fine.utf8), limit: 10)?.first?.vehicleID == "京A12345")
        let plain = batchJSON([fixJSON("V1", 0, lat: 39.9, lon: 116.3, extra: ",\"accuracy\":5,\"speed\":null")])
        #expect(FastBatchDecoder.decode(Array(plain.utf8), limit: 10) != nil)
        #expect(FastBatchDecoder.decode(Array(plain.utf8), limit: 0) == nil)
    }
}
