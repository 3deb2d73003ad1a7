public import CordonCore

/// Writes zones as a GeoJSON FeatureCollection (RFC 7946 winding; the Feature `id` and
/// `properties.id` both carry the zone id).
///
/// A value type; `Sendable`. Output is deterministic: zones in the given order, properties
/// in the canonical order of docs/zone-formats.md, coordinates in shortest round-trip form.
public struct GeoJSONWriter: Sendable {
    /// Extra top-level members (e.g. the zone-set name and version).
    public var foreignMembers: [JSONMember] = []

    public init(foreignMembers: [JSONMember] = []) { self.foreignMembers = foreignMembers }

    public func string(_ zones: [Zone]) -> String {
        var out = "{\"type\":\"FeatureCollection\""
        for m in foreignMembers {
            out += ","
            JSONWriter.quote(m.key, into: &out)
            out += ":"
            JSONWriter().write(m.value, into: &out)
        }
        out += ",\"features\":["
        for (k, zone) in zones.enumerated() {
            out += k == 0 ? "\n" : ",\n"
            out += "{\"type\":\"Feature\",\"id\":"
            JSONWriter.quote(zone.id, into: &out)
            out += ",\"properties\":"
            JSONWriter().write(.object(ZoneInterpreter.properties(of: zone)), into: &out)
            out += ",\"geometry\":"
            GeoJSONWriter.writeGeometry(zone.geometry, into: &out)
            out += "}"
        }
        out += "\n]}\n"
        return out
    }

    /// Appends a Polygon (one part, not declared multi) or MultiPolygon geometry object.
    public static func writeGeometry(_ g: MultiPolygon, into out: inout String) {
        func ring(_ r: Ring) {
            out += "["
            for (k, c) in r.coordinates.enumerated() {
                if k > 0 { out += "," }
                out += "[" + JSONWriter.number(c.longitude) + "," + JSONWriter.number(c.latitude) + "]"
            }
            out += "]"
        }
        func polygon(_ p: Polygon) {
            out += "["
            for (k, r) in p.rings.enumerated() {
                if k > 0 { out += "," }
                ring(r)
            }
            out += "]"
        }
        if !g.isMulti && g.polygons.count == 1 {
            out += "{\"type\":\"Polygon\",\"coordinates\":"
            polygon(g.polygons[0])
        } else {
            out += "{\"type\":\"MultiPolygon\",\"coordinates\":["
            for (k, p) in g.polygons.enumerated() {
                if k > 0 { out += "," }
                polygon(p)
            }
            out += "]"
        }
        out += "}"
    }
}
