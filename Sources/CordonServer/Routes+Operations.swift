import CordonCore
import Hummingbird
import NIOCore

extension CordonServices {
    /// `/healthz` (the process answers), `/readyz` (an index is loaded), `/metrics`
    /// (Prometheus text). Open: no token.
    func addOperationRoutes(to router: Router<CordonRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(.object([JSONMember("status", .string("ok"))])) }
        router.get("/readyz") { _, _ in
            guard let snapshot = zones.snapshot else {
                throw APIError.unavailable("no active version of zone set \"\(zones.setName)\" is loaded")
            }
            return Response.json(
                .object([
                    JSONMember("status", .string("ready")), JSONMember("zone_set", .string(snapshot.setName)),
                    JSONMember("zone_set_version", .number(Double(snapshot.version))),
                ]))
        }
        router.get("/metrics") { _, _ in
            metrics.vehiclesInMemory.record(zones.fleet?.vehicleCount ?? 0)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }
}
