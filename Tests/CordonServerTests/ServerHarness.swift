import Cordon
import CordonServer
import CordonTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A database with the test zone set (two versions of one 1.1 km square military zone, the
/// second with a wider approach) and one token per role, and the services built over it.
struct ServerHarness {
    let directory: URL
    let services: CordonServices
    let admin: String
    let vehicle: String
    /// A vehicle token bound to V1.
    let vehicleV1: String
    /// An owner token for V1.
    let ownerV1: String
    let revoked: String

    static func zoneFile(buffer: Int) -> String {
        """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "id": "base-1",
           "properties": {"name": "Base", "category": "military", "buffer_m": \(buffer)},
           "geometry": {"type": "Polygon",
                        "coordinates": [[[116.0, 39.0], [116.01, 39.0], [116.01, 39.01], [116.0, 39.01], [116.0, 39.0]]]}}]}
        """
    }

    /// `versions` versions of set `test` are stored (0: an empty database), the first active.
    static func make(versions: Int = 2, _ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> ServerHarness {
        let directory = Fixtures.temporaryDirectory("cordon-server")
        let path = directory.appendingPathComponent("test.db").path
        let store = try ZoneStore(path: path)
        for v in 0..<versions {
            let report = try ZoneCatalog(store: store).importZones(
                sources: [("v\(v + 1).geojson", Array(zoneFile(buffer: 100 * (v + 1)).utf8))], setName: "test",
                activate: v == 0, actor: "setup", options: ImportOptions())
            #expect(report.stored != nil, "\(report.diagnostics)")
        }
        let admin = try store.createToken(name: "ops", role: .admin, vehicleID: nil).secret
        let vehicle = try store.createToken(name: "fleet", role: .vehicle, vehicleID: nil).secret
        let vehicleV1 = try store.createToken(name: "v1-logger", role: .vehicle, vehicleID: "V1").secret
        let ownerV1 = try store.createToken(name: "alice", role: .owner, vehicleID: "V1").secret
        let revoked = try store.createToken(name: "old", role: .admin, vehicleID: nil).secret
        try store.revokeToken("old")
        var configuration = ServerConfiguration()
        configuration.databasePath = path
        configuration.setName = "test"
        configuration.port = 0
        configuration.rateLimit = 0
        configuration.watchInterval = 0
        configuration.flushInterval = 3600
        configuration.evictAfter = 0  // tests evict explicitly (their fix times are in March 2026)
        configure(&configuration)
        return ServerHarness(
            directory: directory, services: try CordonServices(configuration: configuration), admin: admin, vehicle: vehicle,
            vehicleV1: vehicleV1, ownerV1: ownerV1, revoked: revoked)
    }

    var application: some ApplicationProtocol { buildApplication(services) }
}

/// One response, its body as text and parsed JSON (nil when not JSON).
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
    var json: JSONValue?

    /// The member at a dotted path (`error.code`).
    subscript(_ path: String) -> JSONValue? {
        var value = json
        for key in path.split(separator: ".") { value = value?[String(key)] }
        return value
    }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil, contentType: String? = nil
    ) async throws -> Reply {
        try await call(method, uri, token: token, bytes: body.map { Array($0.utf8) }, contentType: contentType)
    }

    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, bytes: [UInt8]?, contentType: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        let response = try await execute(
            uri: uri, method: method, headers: headers, body: bytes.map { ByteBuffer(bytes: $0) })
        let text = String(buffer: response.body)
        return Reply(
            status: response.status, headers: response.headers, text: text,
            json: try? JSONParser().parse(Array(text.utf8), file: "response"))
    }
}

/// A fix as request JSON.
func fixJSON(_ vehicle: String, _ second: Int, lat: Double, lon: Double, extra: String = "") -> String {
    let time = Timestamp(millisecondsSinceEpoch: 1_772_409_600_000 + Int64(second) * 1000).iso8601  // 2026-03-02T00:00:00Z
    return "{\"vehicle_id\":\"\(vehicle)\",\"time\":\"\(time)\",\"lat\":\(lat),\"lon\":\(lon)\(extra)}"
}

func batchJSON(_ fixes: [String]) -> String { "{\"fixes\":[" + fixes.joined(separator: ",") + "]}" }
