import Cordon
@testable import CordonServer
import CordonTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import Testing

@Suite struct VehicleAPITests {
    /// A drive north through the test zone: enter at the approach, exit after the hold; one
    /// result per fix in order, directives naming the served version, owners see them later.
    @Test func evaluateIsStatefulAndLogged() async throws {
        let h = try ServerHarness.make()
        try await h.application.test(.router) { client in
            // 1 Hz, ~11 m per fix, from 39.990 (outside, 1.1 km south) to 39.020 (north of it).
            var fixes: [String] = []
            for s in 0..<300 { fixes.append(fixJSON("V1", s, lat: 38.990 + Double(s) * 1e-4, lon: 116.005)) }
            let first = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: batchJSON(Array(fixes[..<150])))
            #expect(first.status == .ok)
            #expect(first["zone_set"] == .string("test"))
            #expect(first["zone_set_version"] == .number(1))
            let results = try #require(first["results"]?.arrayValue)
            #expect(results.count == 150)
            // The vehicle reaches the 100 m approach (38.9991) at fix ~91.
            let enters = results.enumerated().filter { !($0.element["directives"]?.arrayValue ?? []).isEmpty }
            let enterIndex = try #require(enters.first?.offset)
            #expect((85...95).contains(enterIndex))
            let kinds = Set((results[enterIndex]["directives"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue })
            #expect(kinds == ["camera.disable", "data.drop.begin"])
            // State carries to the next request: no second enter; the exit comes after leaving.
            let second = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: batchJSON(Array(fixes[150...])))
            let all = (second["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] }
            #expect(!all.contains { $0["kind"] == .string("data.drop.begin") })

            let history = try await client.call(.get, "/v1/vehicles/V1/directives", token: h.ownerV1)
            #expect(history.status == .ok)
            let logged = try #require(history["directives"]?.arrayValue)
            #expect(logged.count >= 2)
            #expect(logged.allSatisfy { $0["zone_ids"] == nil && $0["categories"] == .array([.string("military")]) })
            // A window that ends before the drive has nothing.
            let empty = try await client.call(
                .get, "/v1/vehicles/V1/directives?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", token: h.ownerV1)
            #expect(empty["directives"] == .array([]))
        }
    }

    /// A restart keeps each vehicle's state: saved at graceful shutdown (after the last
    /// request), restored at start-up, so a vehicle suppressed before it is released after it
    /// with `seq` continuing, and one suppressed then is still held (no new enter).
    @Test func vehicleStatesSurviveARestart() async throws {
        let h = try ServerHarness.make()
        try await h.application.test(.live) { client in
            let enter = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle,
                body: batchJSON([fixJSON("V1", 0, lat: 39.005, lon: 116.005), fixJSON("V2", 0, lat: 39.005, lon: 116.005)]))
            #expect(enter.status == .ok)
            #expect(enter.text.contains("\"seq\":2"))
        }
        // The shutdown saved both vehicles; a new service on the same database restores them.
        let restarted = try CordonServices(configuration: h.services.configuration)
        #expect(restarted.zones.restoredVehicleStates.restored == 2)
        try await buildApplication(restarted).test(.router) { client in
            try await Self.restoredV1IsReleased(restarted, client, token: h.vehicle)
            // V2 stays inside: still held, nothing new.
            let stay = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V2", 60, lat: 39.005, lon: 116.005)]))
            #expect(stay["results"]?.arrayValue?.first?["directives"] == .array([]), "\(stay.text)")
        }
    }

    /// No graceful shutdown: the states written beside each flushed batch of directives bring
    /// every vehicle back to its last logged directive. V1's directives were flushed (the owner
    /// route flushes before it reads): it comes back suppressed and goes on at seq 3. V2's were
    /// still in the buffer, lost with the process: it comes back as it was before them (new),
    /// so the log and the states never disagree.
    @Test func vehicleStatesSurviveACrash() async throws {
        let h = try ServerHarness.make()
        let crashed = h.directory.appendingPathComponent("crashed.db").path
        try await h.application.test(.router) { client in
            let enter = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V1", 0, lat: 39.005, lon: 116.005)]))
            #expect(enter.text.contains("\"seq\":2"))
            let log = try await client.call(.get, "/v1/vehicles/V1/directives", token: h.ownerV1)
            #expect(log["directives"]?.arrayValue?.count == 2, "\(log.text)")
            let v2 = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V2", 0, lat: 39.005, lon: 116.005)]))
            #expect(v2.text.contains("\"seq\":2"))
            // The process dies here: no shutdown save. What is on disk now is a copy of the
            // database files (SQLite's WAL included), taken between two writes.
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: h.services.configuration.databasePath + suffix) {
                try FileManager.default.copyItem(atPath: h.services.configuration.databasePath + suffix, toPath: crashed + suffix)
            }
        }
        var configuration = h.services.configuration
        configuration.databasePath = crashed
        let restarted = try CordonServices(configuration: configuration)
        #expect(restarted.zones.restoredVehicleStates.restored == 1)
        #expect(restarted.zones.fleet?.state(of: "V2") == nil)
        try await buildApplication(restarted).test(.router) { client in
            try await Self.restoredV1IsReleased(restarted, client, token: h.vehicle)
        }
    }

    /// A vehicle idle past the eviction time (by its fixes' clock) leaves memory with its state
    /// stored, and its next fix brings that state back: suppressed V1 is released at seq 3 and
    /// 4, not entered anew. After a restart, idle vehicles stay in the store until their next
    /// fix, which brings them back the same way (V2).
    @Test func idleVehiclesAreEvictedAndComeBack() async throws {
        let h = try ServerHarness.make { $0.evictAfter = 3600 }
        let t0 = 1_772_409_600_000 as Int64  // the fixes' 2026-03-02T00:00:00Z
        let halfHour = Timestamp(millisecondsSinceEpoch: t0 + 1_800_000), twoHours = Timestamp(millisecondsSinceEpoch: t0 + 7_200_000)
        try await h.application.test(.router) { client in
            let enter = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle,
                body: batchJSON([fixJSON("V1", 0, lat: 39.005, lon: 116.005), fixJSON("V2", 0, lat: 39.005, lon: 116.005)]))
            #expect(enter.text.contains("\"seq\":2"))
            #expect(try h.services.zones.evictIdleVehicles(now: halfHour, log: h.services.directiveLog) == 0)
            #expect(try h.services.zones.evictIdleVehicles(now: twoHours, log: h.services.directiveLog) == 2)
            #expect(h.services.zones.fleet?.vehicleCount == 0 && h.services.zones.fleet?.state(of: "V1") == nil)
            let away = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON((7200...7320).map { fixJSON("V1", $0, lat: 39.05, lon: 116.005) }))
            let directives = (away["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] }
            #expect(directives.map { $0["seq"] } == [.number(3), .number(4)], "\(away.text)")
            #expect(Set(directives.compactMap { $0["kind"]?.stringValue }) == ["camera.enable", "data.drop.end"])
            #expect(h.services.zones.fleet?.vehicleCount == 1)
        }
        // The fixes are months older than the wall clock: at start-up every stored state is idle.
        let restarted = try CordonServices(configuration: h.services.configuration)
        #expect(restarted.zones.restoredVehicleStates.restored == 0 && restarted.zones.restoredVehicleStates.idle == 2)
        try await buildApplication(restarted).test(.router) { client in
            let away = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON((7200...7320).map { fixJSON("V2", $0, lat: 39.05, lon: 116.005) }))
            let directives = (away["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] }
            #expect(directives.map { $0["seq"] } == [.number(3), .number(4)], "\(away.text)")
            #expect(restarted.zones.fleet?.vehicleCount == 1)
        }
    }

    /// V1 came back suppressed by base-1 at seq 2; it waits 5 km away at 1 Hz, past the hold
    /// time, and is released with seq 3 and 4.
    static func restoredV1IsReleased(_ services: CordonServices, _ client: some TestClientProtocol, token: String) async throws {
        let v1 = try #require(services.zones.fleet?.state(of: "V1"))
        #expect(v1.isSuppressed && v1.seq == 2 && v1.heldZoneIDs == ["base-1"])
        let away = try await client.call(
            .post, "/v1/evaluate", token: token, body: batchJSON((1...120).map { fixJSON("V1", $0, lat: 39.05, lon: 116.005) }))
        let directives = (away["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] }
        #expect(directives.map { $0["seq"] } == [.number(3), .number(4)], "\(away.text)")
        #expect(Set(directives.compactMap { $0["kind"]?.stringValue }) == ["camera.enable", "data.drop.end"])
    }

    @Test func zonesAtGivesCategoriesAndPoliciesOnly() async throws {
        let h = try ServerHarness.make()
        try await h.application.test(.router) { client in
            let inside = try await client.call(.get, "/v1/zones/at?lat=39.005&lon=116.005", token: h.vehicle)
            #expect(inside.status == .ok)
            let zones = try #require(inside["zones"]?.arrayValue)
            #expect(zones.count == 1)
            #expect(zones[0]["category"] == .string("military"))
            #expect(zones[0]["area"] == .string("core"))
            #expect(zones[0]["data"] == .string("drop"))
            #expect(!inside.text.contains("116.0") && !inside.text.contains("coordinates") && !inside.text.contains("base-1"))
            let approach = try await client.call(.get, "/v1/zones/at?lat=39.0105&lon=116.005", token: h.vehicle)
            #expect(approach["zones"]?.arrayValue?.first?["area"] == .string("approach"))
            let outside = try await client.call(.get, "/v1/zones/at?lat=45&lon=100", token: h.vehicle)
            #expect(outside["zones"] == .array([]))
            let bad = try await client.call(.get, "/v1/zones/at?lat=91&lon=100", token: h.vehicle)
            #expect(bad.status == .badRequest)
            #expect(bad["error.code"] == .string("invalid_query"))
        }
    }

    /// 400 with the position, 413 over the body limit, 422 naming index and field, 422 over the
    /// batch limit, 429 with Retry-After over the rate limit; nothing of a refused batch applied.
    @Test func badInputGetsTheDocumentedErrors() async throws {
        let h = try ServerHarness.make { c in
            c.bodyLimit = 4096
            c.batchLimit = 5
        }
        try await h.application.test(.router) { client in
            let malformed = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: "{\"fixes\": [\n  {\"lat\": 1,,}]}")
            #expect(malformed.status == .badRequest)
            #expect(malformed["error.code"] == .string("malformed_json"))
            #expect(malformed["error.details"]?.arrayValue?.first?["line"] == .number(2))

            let huge = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: String(repeating: " ", count: 5000))
            #expect(huge.status == .contentTooLarge)
            #expect(huge["error.code"] == .string("body_too_large"))

            let fixes = [
                fixJSON("V9", 0, lat: 39.005, lon: 116.005), fixJSON("V9", 1, lat: 39.005, lon: 116.005, extra: ",\"speed\":-3"),
                "{\"vehicle_id\":\"V9\",\"time\":\"yesterday\",\"lat\":1,\"lon\":2}",
            ]
            let invalid = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: batchJSON(fixes))
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid["error.code"] == .string("invalid_fix"))
            let details = try #require(invalid["error.details"]?.arrayValue)
            #expect(details.count == 2)
            #expect(details[0]["index"] == .number(1) && details[0]["field"] == .string("speed"))
            #expect(details[0]["problem"] == .string("-3.0 must be finite and not negative"))
            #expect(details[1]["index"] == .number(2) && details[1]["field"] == .string("time"))
            let outside = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V9", 0, lat: 95, lon: 116.005)]))
            #expect(outside["error.message"] == .string("fix 0: lat: 95.0 is outside [-90, 90] or not finite"))
            // The refused batch's valid first fix was not applied: V9 has no state.
            #expect(h.services.zones.fleet?.state(of: "V9") == nil)

            let control = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle,
                body: batchJSON(["{\"vehicle_id\":\"V\\u0000\\n9\",\"time\":\"2026-03-02T00:00:00Z\",\"lat\":1,\"lon\":2}"]))
            #expect(control.status == .unprocessableContent)
            #expect(control["error.message"] == .string("fix 0: vehicle_id: contains a control character (1 to 128 bytes of UTF-8, no control characters)"))
            let ancient = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle,
                body: batchJSON(["{\"vehicle_id\":\"V9\",\"time\":\"0001-01-01T00:00:00Z\",\"lat\":1,\"lon\":2}"]))
            #expect(ancient.status == .unprocessableContent)
            #expect(ancient["error.message"] == .string("fix 0: time: \"0001-01-01T00:00:00Z\" is outside the years 1970 to 2199"))

            let tooMany = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON((0..<6).map { fixJSON("V8", $0, lat: 1, lon: 1) }))
            #expect(tooMany.status == .unprocessableContent)
            #expect(tooMany["error.code"] == .string("batch_too_large"))
        }

        let limited = try ServerHarness.make { c in
            c.rateLimit = 0.001
            c.rateBurst = 2
        }
        try await limited.application.test(.router) { client in
            for _ in 0..<2 {
                #expect(try await client.call(.get, "/v1/zones/at?lat=1&lon=1", token: limited.vehicle).status == .ok)
            }
            let over = try await client.call(.get, "/v1/zones/at?lat=1&lon=1", token: limited.vehicle)
            #expect(over.status == .tooManyRequests)
            #expect(over["error.code"] == .string("rate_limited"))
            #expect(Int(over.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Another token has its own bucket.
            #expect(try await client.call(.get, "/v1/zones/at?lat=1&lon=1", token: limited.admin).status == .ok)
        }
    }

    /// Past the vehicle limit, fixes of new vehicles are refused (503 `vehicle_limit`, nothing
    /// of the batch applied) on the evaluate route and on a stream; known vehicles are served.
    @Test func vehiclesPastTheLimitAreRefused() async throws {
        let h = try ServerHarness.make { $0.maximumVehicles = 2 }
        try await h.application.test(.live) { client in
            let both = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V1", 0, lat: 38.9, lon: 116.005), fixJSON("V2", 0, lat: 38.9, lon: 116.005)]))
            #expect(both.status == .ok)
            let third = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V1", 1, lat: 39.005, lon: 116.005), fixJSON("V3", 1, lat: 39.005, lon: 116.005)]))
            #expect(third.status == .serviceUnavailable)
            #expect(third["error.code"] == .string("vehicle_limit"))
            #expect(third["error.message"]?.stringValue?.contains("limit of 2 vehicles") == true)
            // Nothing of the refused batch was applied, and the known vehicles go on.
            #expect(h.services.zones.fleet?.state(of: "V3") == nil && h.services.zones.fleet?.state(of: "V1")?.fixesApplied == 1)
            let known = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V2", 1, lat: 39.005, lon: 116.005), fixJSON("V1", 1, lat: 38.9, lon: 116.005)]))
            #expect(known.status == .ok)
            #expect(known["results"]?.arrayValue?.first?["directives"]?.arrayValue?.isEmpty == false)

            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.authorization: "Bearer \(h.vehicle)"]
            let answers = Answers()
            _ = try await client.ws("/v1/vehicles/V4/stream", configuration: configuration) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                try await outbound.write(.text("{\"time\":\"2026-03-02T00:00:00Z\",\"lat\":38.9,\"lon\":116.005}"))
                if case .text(let text)? = try await messages.next() { answers.append(text) }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let refused = answers.all.first.flatMap { try? JSONParser().parse(Array($0.utf8), file: "ws") }
            #expect(refused?["fix"] == .number(1) && refused?["error"]?["code"] == .string("vehicle_limit"))
            #expect(h.services.zones.fleet?.vehicleCount == 2)
        }
    }

    /// Fixes in over a WebSocket, one answer per fix in order, sequence-numbered.
    @Test func webSocketStream() async throws {
        let h = try ServerHarness.make()
        try await h.application.test(.live) { client in
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.authorization: "Bearer \(h.vehicleV1)"]
            let answers = Answers()
            _ = try await client.ws("/v1/vehicles/V1/stream", configuration: configuration) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                for s in 0..<3 {
                    let lat = s == 1 ? 39.005 : 38.9
                    try await outbound.write(.text("{\"time\":\"2026-03-02T00:00:0\(s)Z\",\"lat\":\(lat),\"lon\":116.005}"))
                    if case .text(let text)? = try await messages.next() { answers.append(text) }
                }
                try await outbound.write(.text("{\"time\":\"2026-03-02T00:00:05Z\",\"lat\":95,\"lon\":116.005}"))
                if case .text(let text)? = try await messages.next() { answers.append(text) }
                try await outbound.write(.text("not json"))
                if case .text(let text)? = try await messages.next() { answers.append(text) }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let parsed = answers.all.map { try? JSONParser().parse(Array($0.utf8), file: "ws") }
            #expect(parsed.count == 5)
            #expect(parsed.map { $0?["fix"] } == (1...5).map { .number(Double($0)) })
            #expect(parsed[0]?["directives"] == .array([]))
            let entered = parsed[1]?["directives"]?.arrayValue ?? []
            #expect(entered.map { $0["seq"] } == [.number(1), .number(2)])
            #expect(entered.allSatisfy { $0["zone_set_version"] == .number(1) })
            #expect(parsed[3]?["error"]?["code"] == .string("invalid_fix"))
            #expect(parsed[4]?["error"]?["code"] == .string("malformed_json"))

            // Another vehicle's stream is refused for a bound token.
            var other = WebSocketClientConfiguration()
            other.additionalHeaders = [.authorization: "Bearer \(h.vehicleV1)"]
            await #expect(throws: (any Error).self) {
                _ = try await client.ws("/v1/vehicles/V2/stream", configuration: other) { _, _, _ in }
            }
        }
    }
}

/// Messages collected inside a WebSocket handler.
///
/// `@unchecked Sendable` is safe: the lock guards every access.
final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.withLock { list.append(s) } }
    var all: [String] { lock.withLock { list } }
}

/// `EvaluateFastPath` over a real connection: requests the router must answer (first sight of
/// a token, errors) and requests the event loop answers alternate on one keep-alive
/// connection, with the same bodies, headers, state and metrics as the router gives.
@Suite struct EvaluateFastPathTests {
    @Test func fastPathAnswersAsTheRouterDoes() async throws {
        let h = try ServerHarness.make { c in
            c.bodyLimit = 4096
        }
        try await h.application.test(.live) { client in
            func evaluate(_ second: Int, lat: Double = 38.5, token: String? = nil, vehicle: String = "V7") async throws -> Reply {
                try await client.call(
                    .post, "/v1/evaluate", token: token ?? h.vehicle,
                    body: batchJSON([fixJSON(vehicle, second * 600, lat: lat, lon: 116.005)]), contentType: "application/json")
            }
            func fastCount() async throws -> Double {
                let text = try await client.call(.get, "/metrics").text
                let line = text.split(separator: "\n").first { $0.hasPrefix("cordon_http_fast_path_responses_total ") }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            // The token's first request fills the token cache on the router's path.
            let first = try await evaluate(0)
            #expect(first.status == .ok)
            let before = try await fastCount()
            // Then the fast path: same shape, same headers, state carried across both paths.
            var replies: [Reply] = []
            for s in 1...6 { replies.append(try await evaluate(s, lat: 38.5 + Double(s) * 0.1002)) }
            let after = try await fastCount()
            #expect(after - before >= 5)
            for reply in replies {
                #expect(reply.status == .ok)
                #expect(reply.headers[.contentType] == "application/json; charset=utf-8")
                #expect(reply.headers[.server] == "cordon")
                #expect(reply.headers[.date]?.hasSuffix(" GMT") == true)
                #expect(reply["zone_set_version"] == .number(1))
                #expect(reply["results"]?.arrayValue?.count == 1)
            }
            // Fixes 10 minutes apart through the test zone (north of 39.0 at 116.005): directives
            // with increasing seq.
            let seqs = replies.flatMap { ($0["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] } }
                .compactMap { $0["seq"]?.numberValue }
            #expect(!seqs.isEmpty && seqs == seqs.sorted())
            // A duplicate time is rejected by the engine, not by HTTP.
            let duplicate = try await evaluate(6, lat: 39.1)
            #expect(duplicate.status == .ok)
            #expect(duplicate.text.contains("\"kind\":\"fix.rejected\""))
            // Errors go to the router on the same connection, and the next request is fast again.
            let invalid = try await evaluate(7, lat: 95)
            #expect(invalid.status == .unprocessableContent && invalid["error.code"] == .string("invalid_fix"))
            let garbage = try await evaluate(8, token: "not-a-token")
            #expect(garbage.status == .unauthorized)
            let wrongVehicle = try await evaluate(9, token: h.vehicleV1, vehicle: "V7")
            #expect(wrongVehicle.status == .forbidden)
            let owner = try await evaluate(10, token: h.ownerV1)
            #expect(owner.status == .forbidden)
            let huge = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: String(repeating: " ", count: 5000), contentType: "application/json")
            #expect(huge.status == .contentTooLarge)
            let again = try await evaluate(11, lat: 39.2)
            #expect(again.status == .ok)
            #expect(try await fastCount() > after)
            // Every request was counted once, by route and status.
            let metrics = try await client.call(.get, "/metrics").text
            #expect(metrics.contains("cordon_http_requests_total{route=\"/v1/evaluate\",method=\"POST\",status=\"200\"} 9"))
        }
    }
}
