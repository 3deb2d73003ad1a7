import Cordon
@testable import CordonServer
import CordonTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite struct AdminAPITests {
    @Test func uploadActivateRollbackExportAudit() async throws {
        let h = try ServerHarness.make(versions: 1)
        try await h.application.test(.router) { client in
            let created = try await client.call(
                .post, "/v1/zonesets/test/versions", token: h.admin, body: ServerHarness.zoneFile(buffer: 250),
                contentType: "application/geo+json")
            #expect(created.status == .created)
            #expect(created["version"] == .number(2))
            #expect(created["active"] == .bool(false))
            #expect(created.headers[.location] == "/v1/zonesets/test/versions/2")
            #expect(h.services.zones.snapshot?.version == 1)

            let activated = try await client.call(.post, "/v1/zonesets/test/activate", token: h.admin, body: "{\"version\": 2}")
            #expect(activated.status == .ok)
            #expect(activated["active"] == .bool(true))
            #expect(h.services.zones.snapshot?.version == 2)
            let again = try await client.call(.post, "/v1/zonesets/test/activate", token: h.admin, body: "{\"version\": 2}")
            #expect(again.status == .conflict)
            let missing = try await client.call(.post, "/v1/zonesets/test/activate", token: h.admin, body: "{\"version\": 9}")
            #expect(missing.status == .notFound)

            let rolled = try await client.call(.post, "/v1/zonesets/test/rollback", token: h.admin)
            #expect(rolled["version"] == .number(1))
            #expect(h.services.zones.snapshot?.version == 1)
            let tooFar = try await client.call(.post, "/v1/zonesets/test/rollback", token: h.admin)
            #expect(tooFar.status == .conflict)

            // KML, activated on upload.
            let kml = try String(contentsOfFile: Fixtures.path("zones/sample.kml"), encoding: .utf8)
            let fromKML = try await client.call(
                .post, "/v1/zonesets/test/versions?activate=true", token: h.admin, body: kml,
                contentType: "application/vnd.google-earth.kml+xml")
            #expect(fromKML.status == .created)
            #expect(fromKML["active"] == .bool(true))
            #expect(h.services.zones.snapshot?.version == 3)

            let list = try await client.call(.get, "/v1/zonesets", token: h.admin)
            #expect(list["served_set"] == .string("test"))
            #expect(list["sets"]?.arrayValue?.first?["active_version"] == .number(3))

            let export = try await client.call(.get, "/v1/zonesets/test/versions/1", token: h.admin)
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/geo+json")
            #expect(export.json?["features"]?.arrayValue?.count == 1)
            let exportKML = try await client.call(.get, "/v1/zonesets/test/versions/1?format=kml", token: h.admin)
            #expect(exportKML.text.hasPrefix("<?xml"))

            let audit = try await client.call(.get, "/v1/audit", token: h.admin)
            let actions = (audit["entries"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }
            #expect(actions.prefix(5) == ["activate", "import", "rollback", "activate", "import"])
            #expect((audit["entries"]?.arrayValue ?? []).first?["actor"] == .string("ops"))
        }
    }

    /// An invalid file is refused whole with the same report as the CLI; nothing is stored.
    @Test func invalidUploadGetsTheFullReport() async throws {
        let h = try ServerHarness.make(versions: 1)
        try await h.application.test(.router) { client in
            let bad = try String(contentsOfFile: Fixtures.path("zones/invalid/self-intersection.geojson"), encoding: .utf8)
            let reply = try await client.call(
                .post, "/v1/zonesets/test/versions", token: h.admin, body: bad, contentType: "application/json")
            #expect(reply.status == .unprocessableContent)
            #expect(reply["error.code"] == .string("invalid_zones"))
            let details = try #require(reply["error.details"]?.arrayValue)
            #expect(details.contains { $0["code"] == .string("self_intersection") && $0["feature_index"] == .number(0) })
            let cli = ZoneCatalog.prepare(
                sources: [("body.geojson", Array(bad.utf8))], options: ImportOptions()
            ).diagnostics.map(\.description)
            #expect(details.compactMap { $0["text"]?.stringValue } == cli)
            #expect(try h.services.store.versions(setName: "test").count == 1)

            let wrongType = try await client.call(
                .post, "/v1/zonesets/test/versions", token: h.admin, body: bad, contentType: "image/png")
            #expect(wrongType.status == .unsupportedMediaType)
            let notJSON = try await client.call(
                .post, "/v1/zonesets/test/versions", token: h.admin, body: "{\"type\": ", contentType: "application/geo+json")
            #expect(notJSON.status == .unprocessableContent)
            #expect(notJSON["error.details"]?.arrayValue?.first?["code"] == .string("syntax"))
        }
    }

    /// A gzip-compressed upload is read as what it holds, under `application/gzip` or under the
    /// format's own type.
    @Test func gzipUploadIsReadAsWhatItHolds() async throws {
        let h = try ServerHarness.make(versions: 1)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        gzip.standardInput = input
        gzip.standardOutput = output
        try gzip.run()
        input.fileHandleForWriting.write(Data(ServerHarness.zoneFile(buffer: 300).utf8))
        try input.fileHandleForWriting.close()
        let compressed = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        gzip.waitUntilExit()
        #expect(compressed.starts(with: [0x1F, 0x8B]))
        try await h.application.test(.router) { client in
            for type in ["application/gzip", "application/geo+json"] {
                let reply = try await client.call(.post, "/v1/zonesets/test/versions", token: h.admin, bytes: compressed, contentType: type)
                #expect(reply.status == .created, "\(type): \(reply.text)")
            }
            #expect(try h.services.store.versions(setName: "test").count == 3)
        }
    }

    /// Evaluation traffic while the admin activates and rolls back again and again: every
    /// response succeeds and every directive in a response names the response's version.
    @Test func swapUnderTrafficNeverFailsNorMixesVersions() async throws {
        let h = try ServerHarness.make(versions: 2)
        try await h.application.test(.router) { client in
            let seen = try await withThrowingTaskGroup(of: Set<Int>.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var versions = Set<Int>()
                        for round in 0..<40 {
                            // 20 new vehicles inside the zone: each gets enter directives.
                            let fixes = (0..<20).map { fixJSON("W\(worker)-\(round)-\($0)", 0, lat: 39.005, lon: 116.005) }
                            let reply = try await client.call(.post, "/v1/evaluate", token: h.vehicle, body: batchJSON(fixes))
                            guard reply.status == .ok, case .number(let v)? = reply["zone_set_version"] else {
                                Issue.record("failed response: \(reply.status) \(reply.text.prefix(200))")
                                continue
                            }
                            let directives = (reply["results"]?.arrayValue ?? []).flatMap { $0["directives"]?.arrayValue ?? [] }
                            #expect(directives.count == 40)
                            #expect(directives.allSatisfy { $0["zone_set_version"] == .number(v) }, "mixed versions")
                            versions.insert(Int(v))
                        }
                        return versions
                    }
                }
                group.addTask {
                    for _ in 0..<15 {
                        let a = try await client.call(.post, "/v1/zonesets/test/activate", token: h.admin, body: "{\"version\": 2}")
                        #expect(a.status == .ok)
                        let r = try await client.call(.post, "/v1/zonesets/test/rollback", token: h.admin)
                        #expect(r.status == .ok)
                    }
                    return []
                }
                var all = Set<Int>()
                for try await s in group { all.formUnion(s) }
                return all
            }
            #expect(seen.isSubset(of: [1, 2]))
            #expect(h.services.zones.snapshot?.version == 1)
        }
    }

    @Test func readinessAndMetrics() async throws {
        let empty = try ServerHarness.make(versions: 0)
        try await empty.application.test(.router) { client in
            #expect(try await client.call(.get, "/healthz").status == .ok)
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable)
            let evaluate = try await client.call(
                .post, "/v1/evaluate", token: empty.vehicle, body: batchJSON([fixJSON("V1", 0, lat: 1, lon: 1)]))
            #expect(evaluate.status == .serviceUnavailable)
            // The first upload with activation makes it ready.
            let created = try await client.call(
                .post, "/v1/zonesets/test/versions?activate=1", token: empty.admin, body: ServerHarness.zoneFile(buffer: 100),
                contentType: "application/geo+json")
            #expect(created.status == .created)
            #expect(try await client.call(.get, "/readyz").status == .ok)
        }
        let h = try ServerHarness.make()
        try await h.application.test(.router) { client in
            _ = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V1", 0, lat: 39.005, lon: 116.005)]))
            _ = try await client.call(.get, "/v1/zonesets", token: h.vehicle)
            let metrics = try await client.call(.get, "/metrics")
            #expect(metrics.status == .ok)
            for expected in [
                "cordon_http_requests_total{route=\"/v1/evaluate\",method=\"POST\",status=\"200\"} 1",
                "cordon_http_requests_total{route=\"/v1/zonesets\",method=\"GET\",status=\"403\"} 1",
                "cordon_http_request_duration_seconds_bucket{route=\"/v1/evaluate\",method=\"POST\",le=",
                "cordon_fixes_evaluated_total 1", "cordon_directives_total{kind=\"data.drop.begin\"} 1",
                "cordon_zone_set_active_version{set=\"test\"} 1", "cordon_index_build_seconds ",
                "cordon_vehicles_in_memory 1", "cordon_vehicles_evicted_total 0",
            ] {
                #expect(metrics.text.contains(expected), "\(expected)")
            }
        }
    }
}

@Suite struct PersistenceTests {
    /// Directives buffered for owners reach the database when the application shuts down
    /// gracefully (the periodic flush is an hour away here).
    @Test func shutdownFlushesTheDirectiveLog() async throws {
        let h = try ServerHarness.make()
        try await h.application.test(.router) { client in
            let reply = try await client.call(
                .post, "/v1/evaluate", token: h.vehicle, body: batchJSON([fixJSON("V7", 0, lat: 39.005, lon: 116.005)]))
            #expect(reply.status == .ok)
            #expect(try h.services.store.directives(vehicleID: "V7", from: nil, to: nil, limit: 10).isEmpty)
        }
        let kept = try h.services.store.directives(vehicleID: "V7", from: nil, to: nil, limit: 10)
        #expect(kept.map(\.kind) == ["camera.disable", "data.drop.begin"])
    }

    /// Retention deletes what was recorded before the cut-off and keeps the rest.
    @Test func retentionPrunesOldDirectives() throws {
        let h = try ServerHarness.make(versions: 1)
        let store = h.services.store
        let old = Timestamp(millisecondsSinceEpoch: 1_000_000)
        let recent = ZoneStore.now()
        let entry = LoggedDirective(vehicleID: "V1", seq: 1, kind: "data.drop.begin", time: old, body: "{}")
        try store.appendDirectives([entry], recordedAt: old)
        try store.appendDirectives([entry], recordedAt: recent)
        let removed = try store.pruneDirectives(recordedBefore: Timestamp(millisecondsSinceEpoch: recent.millisecondsSinceEpoch - 86_400_000))
        #expect(removed == 1)
        #expect(try store.directives(vehicleID: "V1", from: nil, to: nil, limit: 10).count == 1)
    }

    /// Only a token's hash is stored; a revoked token no longer authenticates.
    @Test func tokensAreStoredHashedAndRevocable() throws {
        let h = try ServerHarness.make(versions: 0)
        let store = h.services.store
        #expect(try store.token(secret: h.admin)?.role == .admin)
        #expect(try store.token(secret: h.revoked) == nil)
        #expect(try store.token(secret: h.admin + "x") == nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: h.directory.path)
        for file in files {
            let bytes = try Data(contentsOf: h.directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data(h.admin.utf8)) == nil, "\(file) holds a token secret")
        }
        #expect(throws: StoreError.self) { try store.createToken(name: "x", role: .owner, vehicleID: nil) }
        #expect(throws: StoreError.self) { try store.revokeToken("old") }
    }
}

@Suite struct TokenCacheTests {
    /// A revoked token keeps working only until its cached lookup expires.
    @Test func revocationTakesEffectWhenTheLookupExpires() throws {
        let h = try ServerHarness.make(versions: 0)
        let now = Mutex<UInt64>(1_000)
        let cache = TokenCache(store: h.services.store, lifetime: 1, clock: { now.withLock { $0 } })
        #expect(try cache.token(secret: h.admin)?.role == .admin)
        try h.services.store.revokeToken("ops")
        #expect(try cache.token(secret: h.admin)?.role == .admin)
        now.withLock { $0 += 999_000_000 }
        #expect(try cache.token(secret: h.admin) != nil)
        now.withLock { $0 += 2_000_000 }
        #expect(try cache.token(secret: h.admin) == nil)
        #expect(try cache.token(secret: "cordon_unknown") == nil)
    }

    /// A full cache drops the entries not used again since the last sweep (here, guessed
    /// secrets), not the tokens in use; when the tokens in use alone fill it, it is cleared.
    @Test func aFullCacheKeepsTheTokensInUse() throws {
        let h = try ServerHarness.make(versions: 0)
        let cache = TokenCache(store: h.services.store, lifetime: 1000, capacity: 8, clock: { 1_000 })
        #expect(try cache.token(secret: h.admin)?.role == .admin)
        #expect(try cache.token(secret: h.vehicle)?.role == .vehicle)
        for i in 0..<6 { #expect(try cache.token(secret: "cordon_guess\(i)") == nil) }
        #expect(cache.cached(secret: h.admin) != nil && cache.cached(secret: h.vehicle) != nil)  // used again
        #expect(try cache.token(secret: "cordon_guess6") == nil)  // full: a sweep
        #expect(cache.cached(secret: h.admin)??.role == .admin)
        #expect(cache.cached(secret: h.vehicle)??.role == .vehicle)
        for i in 0..<6 { #expect(cache.cached(secret: "cordon_guess\(i)") == nil, "guess \(i) kept") }
        #expect(cache.cached(secret: "cordon_guess6") == .some(nil))
        // Eight tokens in use fill it: the next sweep keeps all of them, and the cache is cleared.
        for i in 0..<5 { _ = try cache.token(secret: "cordon_more\(i)") }
        for secret in [h.admin, h.vehicle, "cordon_guess6"] + (0..<5).map({ "cordon_more\($0)" }) { _ = cache.cached(secret: secret) }
        _ = try cache.token(secret: "cordon_last")
        #expect(cache.cached(secret: h.admin) == nil && cache.cached(secret: "cordon_last") == .some(nil))
    }

    /// The revocation polls keep a token in use fresh without reading it again, drop a revoked
    /// one at once, and do not extend what is known of unknown secrets.
    @Test func revocationPollsKeepLiveTokensAndDropRevokedOnes() throws {
        let h = try ServerHarness.make(versions: 0)
        let now = Mutex<UInt64>(1_000)
        let cache = TokenCache(store: h.services.store, lifetime: 1, clock: { now.withLock { $0 } })
        #expect(try cache.token(secret: h.admin)?.role == .admin)
        #expect(try cache.token(secret: h.vehicle)?.role == .vehicle)
        #expect(try cache.token(secret: "cordon_unknown") == nil)
        now.withLock { $0 += 600_000_000 }
        try cache.pollRevocations()
        now.withLock { $0 += 900_000_000 }  // 1.5 s after the reads, 0.9 s after the poll
        #expect(cache.cached(secret: h.admin)??.role == .admin)
        #expect(cache.cached(secret: h.vehicle)??.role == .vehicle)
        #expect(cache.cached(secret: "cordon_unknown") == nil)  // not fresh: read again
        // A revocation made meanwhile (in the store, as `cordon token revoke` does) is seen by
        // the next poll, before the entry would have expired.
        try h.services.store.revokeToken("ops")
        #expect(cache.cached(secret: h.admin)??.role == .admin)
        try cache.pollRevocations()
        #expect(cache.cached(secret: h.admin) == .some(nil))
        #expect(cache.cached(secret: h.vehicle)??.role == .vehicle)
        // Without polls, entries expire a lifetime after their last check.
        now.withLock { $0 += 1_000_000_000 }
        #expect(cache.cached(secret: h.vehicle) == nil)
    }
}
