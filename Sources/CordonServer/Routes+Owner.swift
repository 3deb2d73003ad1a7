import CordonCore
import CordonFormats
import CordonStore
import Hummingbird

extension CordonServices {
    /// `GET /v1/vehicles/{id}/directives?from=&to=`: what was suppressed on one car and when
    /// (roles `owner` bound to the car, or `admin`). Each directive is its wire object without
    /// `zone_ids`: owners learn the category, never which site or where.
    func addOwnerRoutes(to router: Router<CordonRequestContext>) {
        router.get("/v1/vehicles/{id}/directives") { request, context in
            let id = try context.parameters.require("id")
            _ = try context.require([.owner, .admin], vehicle: id)
            func time(_ name: String) throws(APIError) -> Timestamp? {
                guard let raw = try request.query(name) else { return nil }
                guard let t = Timestamp(iso8601: raw) else {
                    throw APIError(.badRequest, "invalid_query", "query parameter \(name)=\(raw.prefix(64)) is not an ISO 8601 time")
                }
                return t
            }
            let from = try time("from"), to = try time("to")
            let limit = configuration.ownerLimit
            let rows = try await Self.store { () throws(StoreError) in
                try directiveLog.flush()
                return try store.directives(vehicleID: id, from: from, to: to, limit: limit + 1)
            }
            let parser = JSONParser()
            var items: [JSONValue] = []
            for row in rows.prefix(limit) {
                guard case .object(let members)? = try? parser.parse(Array(row.body.utf8), file: "log") else { continue }
                items.append(.object(members.filter { $0.key != "zone_ids" }))
            }
            var members: [JSONMember] = [JSONMember("vehicle_id", .string(id))]
            if let from { members.append(JSONMember("from", .string(from.iso8601))) }
            if let to { members.append(JSONMember("to", .string(to.iso8601))) }
            members.append(JSONMember("directives", .array(items)))
            members.append(JSONMember("truncated", .bool(rows.count > limit)))
            return Response.json(.object(members))
        }
    }
}
