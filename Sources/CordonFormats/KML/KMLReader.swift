import CordonCore

/// Reads zones from KML 2.2: Placemarks with a Polygon (outer and inner boundaries) or a
/// MultiGeometry of Polygons, at any depth of Documents and Folders. Zone properties come from
/// `ExtendedData` (`Data`/`value` or `SchemaData`/`SimpleData`), the name from `<name>`, the id
/// from an `id` datum or else the Placemark's `id` attribute.
///
/// A value type; `Sendable`. Same error model as `GeoJSONReader`.
public struct KMLReader: Sendable {
    public var options: ZoneReadOptions

    public init(options: ZoneReadOptions = ZoneReadOptions()) { self.options = options }

    public func read(_ bytes: [UInt8], file: String) throws(FormatError) -> ZoneFileReadResult {
        let root = try XMLReader(maximumDepth: options.maximumDepth).parse(bytes, file: file)
        guard root.name == "kml" || root.name == "Document" || root.name == "Folder" || root.name == "Placemark" else {
            throw .notZones(file: file, message: "root element is <\(root.name)>, expected <kml>")
        }
        var placemarks: [XMLElement] = []
        collectPlacemarks(root, into: &placemarks)
        var result = ZoneFileReadResult(file: file)
        result.featureCount = placemarks.count
        let interpreter = ZoneInterpreter(file: file, options: options)
        for (index, placemark) in placemarks.enumerated() {
            read(placemark, index: index, interpreter: interpreter, into: &result)
        }
        return result
    }

    private func collectPlacemarks(_ e: XMLElement, into out: inout [XMLElement]) {
        if e.name == "Placemark" { out.append(e); return }
        for c in e.children { collectPlacemarks(c, into: &out) }
    }

    private func read(_ placemark: XMLElement, index: Int, interpreter: ZoneInterpreter, into result: inout ZoneFileReadResult) {
        var properties: [JSONMember] = []
        func set(_ key: String, _ value: String) {
            properties.removeAll { $0.key == key }
            properties.append(JSONMember(key, .string(value)))
        }
        if let name = placemark.child("name") { set("name", name.text.trimmed) }
        if let extended = placemark.child("ExtendedData") {
            for data in extended.children("Data") {
                guard let key = data.attributes["name"] else { continue }
                set(key, (data.child("value")?.text ?? data.text).trimmed)
            }
            for schemaData in extended.children("SchemaData") {
                for simple in schemaData.children("SimpleData") {
                    guard let key = simple.attributes["name"] else { continue }
                    set(key, simple.text.trimmed)
                }
            }
        }
        if let description = placemark.child("description"), !properties.contains(where: { $0.key == "description" }) {
            properties.append(JSONMember("description", .string(description.text.trimmed)))
        }
        let fallbackID = placemark.attributes["id"]

        var polygons: ZoneInterpreter.RawPolygons = []
        var problem: (String, String)?
        var isMulti = false
        let geometries = placemark.children.filter { Self.geometryNames.contains($0.name) }
        if geometries.count > 1 {
            problem = ("not_polygon", "Placemark has \(geometries.count) geometries; put several polygons in one MultiGeometry")
        } else if let g = geometries.first {
            switch g.name {
            case "Polygon":
                polygons = [rings(of: g, problem: &problem)]
            case "MultiGeometry":
                isMulti = true
                var parts: [XMLElement] = []
                flatten(g, into: &parts)
                for part in parts {
                    guard part.name == "Polygon" else {
                        problem = ("not_polygon", "MultiGeometry contains a \(part.name); a zone must be made of Polygons")
                        break
                    }
                    polygons.append(rings(of: part, problem: &problem))
                    if problem != nil { break }
                }
            default:
                problem = ("not_polygon", "geometry is a \(g.name); a zone must be a Polygon or MultiGeometry of Polygons")
            }
        }
        if let (code, message) = problem {
            let id = interpreter.resolveID(index: index, properties: properties, fallbackID: fallbackID).id
            result.diagnostics.append(
                Diagnostic(.error, code, message, file: result.file, featureIndex: index, featureID: id, line: placemark.line))
            return
        }
        interpreter.zone(
            index: index, properties: properties, fallbackID: fallbackID, polygons: polygons, isMulti: isMulti, into: &result)
    }

    static let geometryNames: Set<String> = [
        "Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Model", "Track", "MultiTrack",
    ]

    private func flatten(_ multi: XMLElement, into parts: inout [XMLElement]) {
        for c in multi.children where Self.geometryNames.contains(c.name) {
            if c.name == "MultiGeometry" { flatten(c, into: &parts) } else { parts.append(c) }
        }
    }

    private func rings(of polygon: XMLElement, problem: inout (String, String)?) -> [[Coordinate]] {
        var out: [[Coordinate]] = []
        guard let outer = polygon.child("outerBoundaryIs")?.child("LinearRing")?.child("coordinates") else {
            problem = ("empty_geometry", "Polygon (line \(polygon.line)) has no outerBoundaryIs/LinearRing/coordinates")
            return out
        }
        var boundaries = [outer]
        for inner in polygon.children("innerBoundaryIs") {
            for ring in inner.children("LinearRing") {
                guard let c = ring.child("coordinates") else { continue }
                boundaries.append(c)
            }
        }
        for b in boundaries {
            switch Self.coordinates(b.text) {
            case .success(let coords): out.append(coords)
            case .failure(let e):
                problem = ("bad_coordinate", "coordinates at line \(b.line): \(e.message)")
                return out
            }
        }
        return out
    }

    struct CoordinateError: Error { let message: String }

    /// Parses KML `lon,lat[,alt]` tuples separated by whitespace.
    static func coordinates(_ text: String) -> Result<[Coordinate], CoordinateError> {
        var out: [Coordinate] = []
        for (k, tuple) in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).enumerated() {
            let parts = tuple.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts.count <= 3 else {
                return .failure(CoordinateError(message: "tuple \(k) \"\(tuple.prefix(60))\" is not lon,lat[,alt]"))
            }
            guard let lon = Double(parts[0]), let lat = Double(parts[1]) else {
                return .failure(CoordinateError(message: "tuple \(k) \"\(tuple.prefix(60))\": coordinates are not numbers"))
            }
            out.append(Coordinate(longitude: lon, latitude: lat))
        }
        return .success(out)
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
