import CordonCore
import CordonEngine
import CordonFormats
import CordonIndex
import CordonStore
import Hummingbird
import HummingbirdWebSocket
import NIOCore

extension CordonServices {
    /// `POST /v1/evaluate`, `GET /v1/zones/at`, `GET /v1/vehicles/{id}/stream` (WebSocket).
    func addVehicleRoutes(to router: Router<CordonRequestContext>) {
        router.post("/v1/evaluate") { request, context in try await evaluate(request, context) }
        router.get("/v1/zones/at") { request, context in try zonesAt(request, context) }
        router.ws(
            "/v1/vehicles/{id}/stream",
            shouldUpgrade: { _, context in
                let id = try context.parameters.require("id")
                _ = try context.require([.vehicle], vehicle: id)
                guard zones.fleet != nil else { throw APIError.unavailable("no active version of zone set \"\(zones.setName)\"") }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                let id = context.requestContext.parameters.get("id") ?? ""
                try await stream(vehicle: id, inbound: inbound, outbound: outbound)
            })
    }

    func evaluate(_ request: Request, _ context: CordonRequestContext) async throws -> Response {
        let identity = try context.require([.vehicle])
        let bytes = try await Self.body(request, limit: configuration.bodyLimit)
        let fixes =
            try FastBatchDecoder.decode(bytes, limit: configuration.batchLimit)
            ?? FixDecoder(batchLimit: configuration.batchLimit).batch(FixDecoder.parse(bytes))
        return Response.json(text: try evaluateResponse(fixes, identity: identity))
    }

    /// Checks the token's vehicle binding, evaluates `fixes` on one zone-set version and
    /// writes the response body (shared by the route and `EvaluateFastPath`, which passes
    /// `readsStore: false`: a request that would read evicted vehicles' states from the store is
    /// left to the route, off the event loop).
    func evaluateResponse(_ fixes: [PositionFix], identity: TokenInfo, readsStore: Bool = true) throws(APIError) -> String {
        if let bound = identity.vehicleID, let other = fixes.firstIndex(where: { $0.vehicleID != bound }) {
            throw APIError.forbidden("fix \(other) is for vehicle \"\(fixes[other].vehicleID)\"; this token is bound to \"\(bound)\"")
        }
        guard let fleet = zones.fleet else { throw APIError.unavailable("no active version of zone set \"\(zones.setName)\"") }
        let returning = zones.storedCandidates(fixes.lazy.map(\.vehicleID))
        if !returning.isEmpty {
            guard readsStore else { throw APIError.unavailable("left to the route") }
            do throws(StoreError) { try zones.bringBack(returning) } catch { throw APIError.storage(error) }
        }
        guard fleet.admits(fixes.lazy.map(\.vehicleID), count: fixes.count) else { throw APIError.vehicleLimit(fleet.maximumVehicles) }
        var changed: [VehicleState.Saved] = []
        let (snapshot, results) = fleet.evaluate(fixes, changed: &changed)
        var out = "{\"zone_set\":"
        JSONWriter.quote(snapshot.setName, into: &out)
        out += ",\"zone_set_version\":\(snapshot.version),\"results\":["
        for (k, directives) in results.enumerated() {
            out += k == 0 ? "{\"directives\":[" : ",{\"directives\":["
            appendDirectives(directives, to: &out)
            out += "]}"
        }
        out += "]}"
        directiveLog.record(states: changed)  // after the directives they follow
        metrics.fixesEvaluated.increment(by: Int64(fixes.count))
        return out
    }

    /// Writes directives as a JSON array body (without brackets), records them for owners and
    /// counts them.
    func appendDirectives(_ directives: [Directive], to out: inout String) {
        for (j, d) in directives.enumerated() {
            let line = d.jsonLine
            if j > 0 { out += "," }
            out += line
            directiveLog.record(d, line: line)
        }
        metrics.recordDirectives(directives)
    }

    func zonesAt(_ request: Request, _ context: CordonRequestContext) throws -> Response {
        _ = try context.require([.vehicle, .admin])
        func coordinate(_ name: String, _ range: ClosedRange<Double>) throws(APIError) -> Double {
            guard let raw = try request.query(name) else { throw APIError(.badRequest, "invalid_query", "query parameter \(name) is missing") }
            guard let v = Double(raw), v.isFinite, range.contains(v) else {
                throw APIError(
                    .badRequest, "invalid_query",
                    "query parameter \(name)=\(raw.prefix(64)) is not a number in [\(Int(range.lowerBound)), \(Int(range.upperBound))]")
            }
            return v
        }
        let lat = try coordinate("lat", -90...90), lon = try coordinate("lon", -180...180)
        guard let snapshot = zones.snapshot else { throw APIError.unavailable("no active version of zone set \"\(zones.setName)\"") }
        var hits: [ZoneHit] = []
        snapshot.index.locate(Coordinate(longitude: lon, latitude: lat), into: &hits)
        hits.sort()
        let now = ZoneStore.now()
        let found: [JSONValue] = hits.map { hit in
            let rule = snapshot.rules[Int(hit.zone)]
            var members: [JSONMember] = [
                JSONMember("category", .string(rule.category.rawValue)),
                JSONMember("area", .string(hit.kind == .core ? "core" : "approach")),
                JSONMember("enforced", .bool(rule.isEnforced(at: now))),
                JSONMember("cameras", .array(rule.policy.cameras.names.map { .string($0) })),
                JSONMember("data", .string(rule.policy.data.name)),
            ]
            if case .coarsen(let m) = rule.policy.data { members.append(JSONMember("precision_m", .number(m))) }
            return .object(members)
        }
        return Response.json(
            .object([
                JSONMember("zone_set", .string(snapshot.setName)),
                JSONMember("zone_set_version", .number(Double(snapshot.version))),
                JSONMember("zones", .array(found)),
            ]))
    }

    /// One vehicle's stream: each text message is a fix object (or an array of them) for this
    /// vehicle; each fix is answered, in order, by `{"fix": n, "zone_set_version": v,
    /// "directives": […]}` with n counting the fixes of this connection from 1, or by
    /// `{"fix": n, "error": {…}}` when it cannot be applied. The connection stays open.
    func stream(vehicle: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        var n = 0
        var directives: [Directive] = []
        var changed: [VehicleState.Saved] = []
        for try await message in inbound.messages(maxSize: configuration.bodyLimit) {
            guard case .text(let text) = message else {
                n += 1
                try await outbound.write(.text(Self.streamError(n, APIError.badRequest("send fixes as JSON text messages"))))
                continue
            }
            let items: [JSONValue]
            do {
                let value = try FixDecoder.parse(Array(text.utf8))
                if case .array(let list) = value { items = list } else { items = [value] }
            } catch {
                n += 1
                try await outbound.write(.text(Self.streamError(n, error)))
                continue
            }
            for item in items {
                n += 1
                switch FixDecoder.fix(item, vehicle: vehicle) {
                case .failure(let p):
                    let error = APIError.invalid("invalid_fix", "\(p.field): \(p.problem)", details: [p.json(index: nil)])
                    try await outbound.write(.text(Self.streamError(n, error)))
                case .success(let fix):
                    guard let fleet = zones.fleet else {
                        try await outbound.write(.text(Self.streamError(n, APIError.unavailable("no active zone set"))))
                        continue
                    }
                    do throws(StoreError) { try zones.bringBack(zones.storedCandidates(CollectionOfOne(fix.vehicleID))) } catch {
                        try await outbound.write(.text(Self.streamError(n, APIError.storage(error))))
                        continue
                    }
                    guard fleet.admits(CollectionOfOne(fix.vehicleID), count: 1) else {
                        try await outbound.write(.text(Self.streamError(n, APIError.vehicleLimit(fleet.maximumVehicles))))
                        continue
                    }
                    let snapshot = fleet.zones
                    directives.removeAll(keepingCapacity: true)
                    changed.removeAll(keepingCapacity: true)
                    fleet.evaluate(fix, zones: snapshot, into: &directives, changed: &changed)
                    metrics.fixesEvaluated.increment()
                    var out = "{\"fix\":\(n),\"zone_set_version\":\(snapshot.version),\"directives\":["
                    appendDirectives(directives, to: &out)
                    directiveLog.record(states: changed)
                    out += "]}"
                    try await outbound.write(.text(out))
                }
            }
        }
    }

    static func streamError(_ n: Int, _ error: APIError) -> String {
        guard case .object(let members) = error.json else { return "{}" }
        return JSONWriter().string(.object([JSONMember("fix", .number(Double(n)))] + members))
    }

    /// The request body, up to `limit` bytes (413 beyond).
    static func body(_ request: Request, limit: Int) async throws(APIError) -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: limit)
        } catch {
            throw APIError.badRequest("the request body could not be read: \(error)")
        }
    }
}
