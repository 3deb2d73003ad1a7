import Cordon
import CordonServer
import CordonTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SecurityTests {
    struct Route {
        var method: HTTPRequest.Method
        var path: String
        var body: String? = nil
        var contentType: String? = nil
        /// Roles allowed; nil for the open routes.
        var roles: Set<TokenRole>?
    }

    static let routes: [Route] = [
        Route(method: .get, path: "/healthz", roles: nil),
        Route(method: .get, path: "/readyz", roles: nil),
        Route(method: .get, path: "/metrics", roles: nil),
        Route(method: .post, path: "/v1/evaluate", body: batchJSON([fixJSON("V1", 0, lat: 1, lon: 1)]), roles: [.vehicle]),
        Route(method: .get, path: "/v1/zones/at?lat=39.005&lon=116.005", roles: [.vehicle, .admin]),
        Route(method: .get, path: "/v1/vehicles/V1/stream", roles: [.vehicle]),
        Route(
            method: .post, path: "/v1/zonesets/test/versions", body: ServerHarness.zoneFile(buffer: 50),
            contentType: "application/geo+json", roles: [.admin]),
        Route(method: .post, path: "/v1/zonesets/test/activate", body: "{\"version\": 2}", roles: [.admin]),
        Route(method: .post, path: "/v1/zonesets/test/rollback", roles: [.admin]),
        Route(method: .get, path: "/v1/zonesets", roles: [.admin]),
        Route(method: .get, path: "/v1/zonesets/test/versions/1", roles: [.admin]),
        Route(method: .get, path: "/v1/audit", roles: [.admin]),
        Route(method: .get, path: "/v1/vehicles/V1/directives", roles: [.owner, .admin]),
    ]

    /// Every route × every kind of caller: 401 without a valid live token, 403 for a wrong
    /// role or another vehicle, through otherwise.
    @Test func everyRouteTimesEveryRole() async throws {
        let h = try ServerHarness.make()
        let callers: [(name: String, token: String?, role: TokenRole?)] = [
            ("none", nil, nil), ("garbage", "cordon_00000000", nil), ("revoked", h.revoked, nil), ("malformed", "", nil),
            ("admin", h.admin, .admin), ("vehicle", h.vehicle, .vehicle), ("vehicle V1", h.vehicleV1, .vehicle),
            ("owner V1", h.ownerV1, .owner),
        ]
        try await h.application.test(.router) { client in
            for route in Self.routes {
                for caller in callers {
                    let reply = try await client.call(
                        route.method, route.path, token: caller.token, body: route.body, contentType: route.contentType)
                    let label = "\(route.method) \(route.path) as \(caller.name): \(reply.status) \(reply.text.prefix(160))"
                    guard let roles = route.roles else {
                        #expect(reply.status == .ok, "\(label)")
                        continue
                    }
                    guard let role = caller.role else {
                        #expect(reply.status == .unauthorized, "\(label)")
                        #expect(reply["error.code"] == .string("unauthorized"), "\(label)")
                        continue
                    }
                    if roles.contains(role) {
                        #expect(reply.status != .unauthorized && reply.status != .forbidden, "\(label)")
                        #expect(reply.status.code < 500, "\(label)")
                    } else {
                        #expect(reply.status == .forbidden, "\(label)")
                        #expect(reply["error.code"] == .string("forbidden"), "\(label)")
                    }
                }
            }
            // Bound tokens stay on their vehicle.
            let other = try await client.call(
                .post, "/v1/evaluate", token: h.vehicleV1, body: batchJSON([fixJSON("V2", 0, lat: 1, lon: 1)]))
            #expect(other.status == .forbidden)
            #expect(try await client.call(.get, "/v1/vehicles/V2/stream", token: h.vehicleV1).status == .forbidden)
            #expect(try await client.call(.get, "/v1/vehicles/V2/directives", token: h.ownerV1).status == .forbidden)
        }
    }

    static let hostileBodies: [String] = {
        var bodies = [
            "", " ", "null", "true", "0", "-1e999", "\"text\"", "[]", "{}", "[[[", "{\"fixes\"", "{\"fixes\": null}",
            "{\"fixes\": {}}", "{\"fixes\": [null, 1, \"a\", [], {}]}", "{\"fixes\": [], \"fixes\": []}",
            "{\"version\": -1}", "{\"version\": 1e300}", "{\"version\": \"2\"}", "{\"version\": 2.5}", "{\"version\": null}",
            "{\"fixes\": [{\"vehicle_id\": 1e400, \"time\": 5, \"lat\": \"NaN\", \"lon\": \"Infinity\"}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"2026-02-30T00:00:00Z\", \"lat\": 1, \"lon\": 1}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"99999-01-01T00:00:00Z\", \"lat\": 1, \"lon\": 1}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"2026-03-02T00:00:00+99:99\", \"lat\": 1e308, \"lon\": -1e308}]}",
            "{\"fixes\": [{\"vehicle_id\": \"\\ud800\", \"time\": \"2026-03-02T00:00:00Z\", \"lat\": 1, \"lon\": 1}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"2026-03-02T00:00:00Z\", \"lat\": null, \"lon\": 1}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"2026-03-02T00:00:00Z\", \"lat\": null, \"lon\": null}]}",
            "{\"fixes\": [{\"vehicle_id\": \"V1\", \"time\": \"2026-03-02T00:00:00Z\", \"lat\": 1, \"lon\": 1, \"accuracy\": 1e308, \"speed\": 1e308, \"heading\": -1e308}]}",
            "\u{0}\u{1}\u{2}\u{7f}", "\u{feff}{\"fixes\": []}", "{\"type\": \"FeatureCollection\", \"features\": [{}]}",
            "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[1e999, 0], [0, 0]]]}}]}",
            "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><kml>&lol2;</kml>",
            "<kml><Document><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>1,1 2,2</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>",
            "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))", "MULTIPOLYGON(((", "POLYGON EMPTY",
        ]
        bodies.append(String(repeating: "[", count: 100_000))
        bodies.append(String(repeating: "{\"a\":", count: 50_000))
        bodies.append("{\"fixes\": [" + String(repeating: "1,", count: 20_000) + "1]}")
        bodies.append("{\"fixes\": [{\"vehicle_id\": \"" + String(repeating: "x", count: 300_000) + "\"}]}")
        bodies.append("{\"fixes\": [" + String(repeating: "{\"vehicle_id\":\"V1\",\"time\":\"2026-03-02T00:00:00Z\",\"lat\":1,\"lon\":1},", count: 3) + "{}]}")
        return bodies
    }()

    /// A corpus of hostile bodies and queries at every route: only documented client errors
    /// come back (never 5xx), and the service keeps answering.
    @Test func hostileInputNeverCrashes() async throws {
        let h = try ServerHarness.make { $0.bodyLimit = 1 << 20 }
        try await h.application.test(.router) { client in
            let posts = Self.routes.filter { $0.method == .post }
            for route in posts {
                let token = route.roles?.contains(.admin) == true ? h.admin : h.vehicle
                for contentType in [route.contentType, "application/json", "text/plain", "application/vnd.google-earth.kml+xml"] {
                    for body in Self.hostileBodies {
                        let reply = try await client.call(.post, route.path, token: token, body: body, contentType: contentType)
                        #expect(
                            reply.status.code < 500 && reply.json?["error"] != nil || reply.status.code < 300,
                            "\(route.path) [\(contentType ?? "-")] \(body.prefix(60)): \(reply.status) \(reply.text.prefix(200))")
                    }
                }
            }
            let queries = [
                "/v1/zones/at?lat=NaN&lon=1", "/v1/zones/at?lat=1e999&lon=1", "/v1/zones/at?lat=&lon=", "/v1/zones/at",
                "/v1/zones/at?lat=1&lon=1&lat=2", "/v1/vehicles/%00/directives?from=garbage",
                "/v1/vehicles/V1/directives?from=2026-13-45T99:99:99Z", "/v1/zonesets/..%2F..%2Fetc/versions/abc",
                "/v1/zonesets/test/versions/99999999999999999999", "/v1/audit?limit=-5", "/v1/audit?limit=abc",
                "/v1/" + String(repeating: "a/", count: 2000), "/v1/zonesets/" + String(repeating: "s", count: 5000) + "/versions/1",
            ]
            for uri in queries {
                for token in [h.admin, h.vehicle, h.ownerV1] {
                    let reply = try await client.call(.get, uri, token: token)
                    #expect(reply.status.code < 500, "\(uri.prefix(80)): \(reply.status) \(reply.text.prefix(200))")
                }
            }
            #expect(try await client.call(.get, "/healthz").status == .ok)
            #expect(try await client.call(.get, "/readyz").status == .ok)
        }
    }

    /// A query parameter given twice, a yes/no that is neither, a limit that is not a whole
    /// number in range and an unknown export format are 400 `invalid_query`, not a guess.
    @Test func queryParametersAreStrict() async throws {
        let h = try ServerHarness.make(versions: 1)
        try await h.application.test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String, String)] = [
                (.get, "/v1/zones/at?lat=1&lon=1&lat=2", h.vehicle, "query parameter lat is given 2 times"),
                (.get, "/v1/vehicles/V1/directives?from=2026-03-02T00:00:00Z&from=2026-03-03T00:00:00Z", h.ownerV1, "query parameter from is given 2 times"),
                (.post, "/v1/zonesets/test/versions?activate=maybe", h.admin, "query parameter activate=maybe is not true or false"),
                (.post, "/v1/zonesets/test/versions?repair=on", h.admin, "query parameter repair=on is not true or false"),
                (.get, "/v1/audit?limit=abc", h.admin, "query parameter limit=abc is not a whole number in [1, 10000]"),
                (.get, "/v1/audit?limit=0", h.admin, "query parameter limit=0 is not a whole number in [1, 10000]"),
                (.get, "/v1/zonesets/test/versions/1?format=shp", h.admin, "query parameter format=shp is not geojson or kml"),
            ]
            for (method, uri, token, message) in cases {
                let reply = try await client.call(method, uri, token: token, body: method == .post ? ServerHarness.zoneFile(buffer: 100) : nil)
                #expect(reply.status == .badRequest, "\(uri): \(reply.text.prefix(200))")
                #expect(reply["error.code"] == .string("invalid_query") && reply["error.message"] == .string(message), "\(uri): \(reply.text.prefix(200))")
            }
            // The accepted spellings still work.
            #expect(try await client.call(.get, "/v1/audit?limit=5", token: h.admin).status == .ok)
            #expect(try await client.call(.get, "/v1/zonesets/test/versions/1?format=KML", token: h.admin).status == .ok)
            let upload = try await client.call(
                .post, "/v1/zonesets/test/versions?activate=no", token: h.admin, body: ServerHarness.zoneFile(buffer: 100))
            #expect(upload.status == .created, "\(upload.text.prefix(200))")
        }
    }

    /// docs/openapi.yaml documents exactly the routes the application registers.
    @Test func openAPIDocumentsEveryRoute() throws {
        let h = try ServerHarness.make(versions: 1)
        let registered = Set(h.services.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        let text = try String(contentsOfFile: Fixtures.path("docs/openapi.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("openapi: 3.1"))
        var documented = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { break }  // the next top-level key
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            let trimmed = line.drop { $0 == " " }
            if let path, line.hasPrefix("    ") && !line.hasPrefix("     "),
               ["get:", "post:", "put:", "delete:", "patch:"].contains(String(trimmed))
            {
                documented.insert("\(trimmed.dropLast().uppercased()) \(path)")
            }
        }
        #expect(!documented.isEmpty)
        #expect(registered == documented, "registered only: \(registered.subtracting(documented)); documented only: \(documented.subtracting(registered))")
    }
}
