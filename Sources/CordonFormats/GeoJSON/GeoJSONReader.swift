public import CordonCore

/// Reads zones from GeoJSON (RFC 7946): a FeatureCollection, a Feature, or a bare Polygon or
/// MultiPolygon.
///
/// A value type; `Sendable`. Syntax errors (with line and column) throw `FormatError`; each
/// feature's problems become diagnostics and the good features are still returned, so the
/// caller decides between all-or-nothing and `--skip-invalid`.
public struct GeoJSONReader: Sendable {
    public var options: ZoneReadOptions

    public init(options: ZoneReadOptions = ZoneReadOptions()) { self.options = options }

    public func read(_ bytes: [UInt8], file: String) throws(FormatError) -> ZoneFileReadResult {
        let root = try JSONParser(maximumDepth: options.maximumDepth).parse(bytes, file: file)
        return try read(root, file: file)
    }

    /// Reads an already-parsed GeoJSON value.
    public func read(_ root: JSONValue, file: String) throws(FormatError) -> ZoneFileReadResult {
        var result = ZoneFileReadResult(file: file)
        let interpreter = ZoneInterpreter(file: file, options: options)
        guard case .object = root, let type = root["type"]?.stringValue else {
            throw .notZones(file: file, message: "expected a GeoJSON object with a \"type\" member, found \(root.typeName)")
        }
        if let crs = root["crs"], let name = Self.foreignCRS(crs) {
            // A warning, not a refusal: geographic systems such as NAD83 or ETRS89 lie within a
            // metre or two of WGS84 and read fine; a projected one (Web Mercator, UTM) fails on
            // its first vertex as out of range, and this line says why.
            result.diagnostics.append(
                Diagnostic(
                    .warning, "foreign_crs",
                    "the file declares the coordinate reference system \"\(name.prefix(200))\"; coordinates are read as WGS84 longitude/latitude (RFC 7946): reproject a projected file first (e.g. ogr2ogr -t_srs EPSG:4326)",
                    file: file))
        }
        switch type {
        case "FeatureCollection":
            guard let features = root["features"]?.arrayValue else {
                throw .notZones(file: file, message: "FeatureCollection has no \"features\" array")
            }
            for (index, feature) in features.enumerated() {
                readFeature(feature, index: index, interpreter: interpreter, into: &result)
            }
            result.featureCount = features.count
        case "Feature":
            readFeature(root, index: 0, interpreter: interpreter, into: &result)
            result.featureCount = 1
        case "Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection":
            readGeometry(root, index: 0, properties: [], fallbackID: nil, interpreter: interpreter, into: &result)
            result.featureCount = 1
        default:
            throw .notZones(file: file, message: "unknown GeoJSON type \"\(type)\"")
        }
        return result
    }

    /// The name of a pre-RFC 7946 `crs` member that is not WGS84 longitude/latitude, or nil
    /// (no name, `CRS84`, EPSG 4326 or `WGS84` in any of their usual spellings, which GeoJSON
    /// writers use with longitude first, as this reader reads them; and China's CGCS2000,
    /// EPSG 4490, which differs from WGS84 by centimetres).
    static func foreignCRS(_ crs: JSONValue) -> String? {
        guard let name = crs["properties"]?["name"]?.stringValue else { return nil }
        let n = name.lowercased()
        let wgs84 = ["crs84", "crs:84", "epsg:4326", "epsg::4326", "wgs84", "wgs 84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84"]
        if wgs84.contains(where: { n == $0 || n.hasSuffix(":" + $0) || n.hasSuffix("/" + $0) }) { return nil }
        if n.contains("epsg"), n.hasSuffix(":4326") || n.hasSuffix("/4326") || n.hasSuffix(":4490") || n.hasSuffix("/4490") { return nil }
        return name
    }

    private func readFeature(
        _ feature: JSONValue, index: Int, interpreter: ZoneInterpreter, into result: inout ZoneFileReadResult
    ) {
        func fail(_ code: String, _ message: String) {
            result.diagnostics.append(Diagnostic(.error, code, message, file: result.file, featureIndex: index))
        }
        guard case .object = feature else { return fail("not_a_feature", "expected a Feature object, found \(feature.typeName)") }
        guard feature["type"]?.stringValue == "Feature" else {
            return fail("not_a_feature", "expected \"type\": \"Feature\", found \(feature["type"].map { JSONWriter().string($0) } ?? "no type")")
        }
        var properties: [JSONMember] = []
        switch feature["properties"] {
        case nil, .null?: break
        case .object(let members)?: properties = members
        case let other?: return fail("bad_properties", "properties must be an object or null, found \(other.typeName)")
        }
        var fallbackID: String?
        switch feature["id"] {
        case .string(let s)?: fallbackID = s
        case .number(let n)? where n.isFinite: fallbackID = JSONWriter.number(n)
        default: break
        }
        guard let geometry = feature["geometry"], geometry != .null else {
            interpreter.zone(index: index, properties: properties, fallbackID: fallbackID, polygons: [], isMulti: false, into: &result)
            return
        }
        readGeometry(geometry, index: index, properties: properties, fallbackID: fallbackID, interpreter: interpreter, into: &result)
    }

    private func readGeometry(
        _ geometry: JSONValue, index: Int, properties: [JSONMember], fallbackID: String?,
        interpreter: ZoneInterpreter, into result: inout ZoneFileReadResult
    ) {
        let type = geometry["type"]?.stringValue ?? "(no type)"
        var polygons: ZoneInterpreter.RawPolygons = []
        var problem: String?  // a coordinate problem (bad_coordinate)
        var code = "bad_coordinate"
        switch type {
        case "Polygon":
            polygons = [rings(geometry["coordinates"], label: "", problem: &problem)]
        case "MultiPolygon":
            if let parts = geometry["coordinates"]?.arrayValue {
                for (p, part) in parts.enumerated() {
                    polygons.append(rings(part, label: "polygon \(p) ", problem: &problem))
                    if problem != nil { break }
                }
            } else {
                problem = "MultiPolygon coordinates must be an array"
            }
        default:
            code = "not_polygon"
            problem = "geometry is a \(type); a zone must be a Polygon or MultiPolygon"
        }
        if let problem {
            let id = interpreter.resolveID(index: index, properties: properties, fallbackID: fallbackID).id
            result.diagnostics.append(Diagnostic(.error, code, problem, file: result.file, featureIndex: index, featureID: id))
            return
        }
        interpreter.zone(
            index: index, properties: properties, fallbackID: fallbackID, polygons: polygons,
            isMulti: type == "MultiPolygon", into: &result)
    }

    /// Rings of one polygon from `[[[lon, lat(, z…)], …], …]`; sets `problem` on the first bad value.
    private func rings(_ value: JSONValue?, label: String, problem: inout String?) -> [[Coordinate]] {
        guard let ringValues = value?.arrayValue else {
            problem = "\(label)coordinates must be an array of rings"
            return []
        }
        var out: [[Coordinate]] = []
        out.reserveCapacity(ringValues.count)
        for (r, ringValue) in ringValues.enumerated() {
            guard let positions = ringValue.arrayValue else {
                problem = "\(label)ring \(r) must be an array of positions, found \(ringValue.typeName)"
                return out
            }
            var coords: [Coordinate] = []
            coords.reserveCapacity(positions.count)
            for (v, position) in positions.enumerated() {
                guard case .array(let xy) = position, xy.count >= 2 else {
                    problem = "\(label)ring \(r) vertex \(v) must be [longitude, latitude], found \(JSONWriter().string(position).prefix(60))"
                    return out
                }
                guard case .number(let lon) = xy[0], case .number(let lat) = xy[1] else {
                    problem = "\(label)ring \(r) vertex \(v): coordinates are not numbers: \(JSONWriter().string(position).prefix(60))"
                    return out
                }
                coords.append(Coordinate(longitude: lon, latitude: lat))
            }
            out.append(coords)
        }
        return out
    }
}
