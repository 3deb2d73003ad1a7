import Cordon
import CordonCore
import CordonFormats
import CordonStore
import Dispatch
import Hummingbird

extension CordonServices {
    /// The zone-set administration routes (role `admin`).
    func addAdminRoutes(to router: Router<CordonRequestContext>) {
        router.post("/v1/zonesets/{set}/versions") { request, context in try await upload(request, context) }
        router.post("/v1/zonesets/{set}/activate") { request, context in
            let admin = try context.require([.admin])
            let set = try Self.setName(context)
            let body = try FixDecoder.parse(try await Self.body(request, limit: configuration.bodyLimit))
            guard case .number(let v)? = body["version"], v >= 1, v <= 1e9, v.rounded() == v else {
                throw APIError.invalid("invalid_body", "the body must be {\"version\": N} with N a positive integer")
            }
            let info = try await Self.store { () throws(StoreError) in try await zones.activate(set: set, version: Int(v), actor: admin.name) }
            return Response.json(versionJSON(info))
        }
        router.post("/v1/zonesets/{set}/rollback") { _, context in
            let admin = try context.require([.admin])
            let set = try Self.setName(context)
            let info = try await Self.store { () throws(StoreError) in try await zones.rollback(set: set, actor: admin.name) }
            return Response.json(versionJSON(info))
        }
        router.get("/v1/zonesets") { _, context in
            _ = try context.require([.admin])
            let sets = try await Self.store { () throws(StoreError) in try store.sets() }
            return Response.json(
                .object([
                    JSONMember("served_set", .string(zones.setName)),
                    JSONMember(
                        "sets",
                        .array(
                            sets.map { s in
                                .object([
                                    JSONMember("name", .string(s.name)),
                                    JSONMember("active_version", s.activeVersion.map { .number(Double($0)) } ?? .null),
                                    JSONMember("versions", .array(s.versions.map(versionJSON))),
                                ])
                            })),
                ]))
        }
        router.get("/v1/zonesets/{set}/versions/{version}") { request, context in
            _ = try context.require([.admin])
            let set = try Self.setName(context)
            guard let version = context.parameters.get("version", as: Int.self) else {
                throw APIError.notFound("no such version")
            }
            let kml: Bool
            switch try request.query("format")?.lowercased() {
            case nil, "geojson"?: kml = false
            case "kml"?: kml = true
            case let other?:
                throw APIError(.badRequest, "invalid_query", "query parameter format=\(other.prefix(64)) is not geojson or kml")
            }
            let zoneSet = try await Self.store { () throws(StoreError) in try store.zoneSet(setName: set, version: version) }
            let text = zoneSet.exported(as: kml ? .kml : .geojson)
            var response = Response.json(text: text)
            response.headers[.contentType] = kml ? "application/vnd.google-earth.kml+xml" : "application/geo+json"
            return response
        }
        router.get("/v1/audit") { request, context in
            _ = try context.require([.admin])
            let limit = try request.queryInt("limit", in: 1...10_000) ?? 1000
            let entries = try await Self.store { () throws(StoreError) in try store.auditLog(limit: limit) }
            return Response.json(
                .object([
                    JSONMember(
                        "entries",
                        .array(
                            entries.map { e in
                                .object([
                                    JSONMember("seq", .number(Double(e.sequence))),
                                    JSONMember("at", .string(e.at.iso8601)),
                                    JSONMember("actor", .string(e.actor)),
                                    JSONMember("action", .string(e.action)),
                                    JSONMember("set", .string(e.setName)),
                                    JSONMember("version", e.version.map { .number(Double($0)) } ?? .null),
                                    JSONMember("checksum", e.checksum.map { .string($0) } ?? .null),
                                    JSONMember("detail", .string(e.detail)),
                                ])
                            }))
                ]))
        }
    }

    /// `POST /v1/zonesets/{set}/versions`: the body is one zone file; `?activate=true` activates
    /// the new version, `?repair=true` repairs invalid geometry as `--repair` does.
    func upload(_ request: Request, _ context: CordonRequestContext) async throws -> Response {
        let admin = try context.require([.admin])
        let set = try Self.setName(context)
        let mediaType = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let format: ZoneFileFormat?
        switch mediaType {
        case "application/geo+json", "application/json": format = .geojson
        case "application/vnd.google-earth.kml+xml", "application/xml", "text/xml", "application/vnd.google-earth.kmz": format = .kml
        case "text/plain", "application/wkt": format = .wkt
        case nil, "application/octet-stream", "application/gzip": format = nil
        case let other?:
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "zone files are application/geo+json, application/json, application/vnd.google-earth.kml+xml (or .kmz) or text/plain (WKT), gzip-compressed or not, not \(other)")
        }
        let bytes = try await Self.body(request, limit: configuration.zoneBodyLimit)
        let activate = try request.queryFlag("activate")
        var options = ImportOptions()
        options.format = format
        options.repair = try request.queryFlag("repair")
        options.read.maximumFileBytes = configuration.zoneBodyLimit
        // A gzip or KMZ body is judged by what it holds (ZoneFileContainer).
        let name = ZoneFileContainer.isContainer(bytes)
            ? "body" : "body." + (format ?? ZoneFileFormat.detect(path: "", bytes: bytes) ?? .geojson).rawValue
        let catalog = ZoneCatalog(store: store)
        let importOptions = options
        let report = try await Self.store { () throws(StoreError) in
            try await Self.offload { () throws(StoreError) in
                try catalog.importZones(sources: [(name, bytes)], setName: set, activate: false, actor: admin.name, options: importOptions)
            }
        }
        guard var stored = report.stored else {
            let errors = report.errors
            let message =
                errors.isEmpty
                ? "the body holds no zone" : "\(errors.count) error(s); first: \(errors[0].description)"
            throw APIError.invalid("invalid_zones", message, details: report.diagnostics.map(Self.diagnosticJSON))
        }
        if activate {
            stored = try await Self.store { () throws(StoreError) in
                try await zones.activate(set: set, version: stored.version, actor: admin.name)
            }
        }
        var json = versionJSON(stored)
        if case .object(var members) = json {
            members.append(JSONMember("warnings", .array(report.warnings.map(Self.diagnosticJSON))))
            json = .object(members)
        }
        var response = Response.json(json, status: .created)
        response.headers[.location] = "/v1/zonesets/\(set)/versions/\(stored.version)"
        return response
    }

    func versionJSON(_ v: ZoneSetVersionInfo) -> JSONValue {
        .object([
            JSONMember("set", .string(v.setName)),
            JSONMember("version", .number(Double(v.version))),
            JSONMember("active", .bool(v.isActive)),
            JSONMember("source", .string(v.source)),
            JSONMember("checksum", .string(v.checksum)),
            JSONMember("zone_count", .number(Double(v.zoneCount))),
            JSONMember("vertex_count", .number(Double(v.vertexCount))),
            JSONMember("approach_vertex_count", .number(Double(v.approachVertexCount))),
            JSONMember("created_by", .string(v.createdBy)),
            JSONMember("created_at", .string(v.createdAt.iso8601)),
        ])
    }

    static func diagnosticJSON(_ d: Diagnostic) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("severity", .string(d.severity.rawValue)), JSONMember("code", .string(d.code)),
            JSONMember("message", .string(d.message)), JSONMember("file", .string(d.file)),
        ]
        if let i = d.featureIndex { members.append(JSONMember("feature_index", .number(Double(i)))) }
        if let id = d.featureID { members.append(JSONMember("feature_id", .string(id))) }
        if let l = d.line { members.append(JSONMember("line", .number(Double(l)))) }
        if let c = d.column { members.append(JSONMember("column", .number(Double(c)))) }
        members.append(JSONMember("text", .string(d.description)))
        return .object(members)
    }

    static func setName(_ context: CordonRequestContext) throws(APIError) -> String {
        guard let set = context.parameters.get("set"), !set.isEmpty, set.utf8.count <= 128 else {
            throw APIError.badRequest("a zone set name has 1 to 128 bytes")
        }
        return set
    }

    /// Runs store work, mapping its failures: missing things 404, conflicts 409, the rest 500.
    static func store<T>(_ body: () async throws(StoreError) -> T) async throws(APIError) -> T {
        do { return try await body() } catch {
            switch error {
            case .notFound(let m): throw APIError.notFound(m)
            case .conflict(let m): throw APIError(.conflict, "conflict", m)
            default: throw APIError.storage(error)
            }
        }
    }

    /// Runs CPU-heavy work (zone validation with GEOS) on a Dispatch thread, not a request thread.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(StoreError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
