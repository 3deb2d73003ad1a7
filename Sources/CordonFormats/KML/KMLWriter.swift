public import CordonCore

/// Writes zones as a KML 2.2 document: one Placemark per zone (its `id` attribute and an
/// `id` datum carry the zone id), properties in `ExtendedData`, geometry as a Polygon or a
/// MultiGeometry of Polygons.
///
/// A value type; `Sendable`. Deterministic. Non-string property values are written as JSON
/// text (camera groups as `exterior,cabin`), which `KMLReader` reads back to the same zone.
public struct KMLWriter: Sendable {
    public var documentName: String

    public init(documentName: String = "Cordon zones") { self.documentName = documentName }

    public func string(_ zones: [Zone]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n"
        out += "<name>" + Self.escape(documentName) + "</name>\n"
        for zone in zones {
            out += "<Placemark id=\"" + Self.escape(zone.id) + "\">\n"
            out += "<name>" + Self.escape(zone.name) + "</name>\n<ExtendedData>\n"
            for member in ZoneInterpreter.properties(of: zone) where member.key != "name" {
                let text: String
                switch member.value {
                case .string(let s): text = s
                case .array(let items) where member.key == "cameras": text = items.compactMap(\.stringValue).joined(separator: ",")
                case let v: text = JSONWriter().string(v)
                }
                out += "<Data name=\"" + Self.escape(member.key) + "\"><value>" + Self.escape(text) + "</value></Data>\n"
            }
            out += "</ExtendedData>\n"
            let multi = zone.geometry.isMulti || zone.geometry.polygons.count != 1
            if multi { out += "<MultiGeometry>\n" }
            for p in zone.geometry.polygons {
                out += "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                Self.coordinates(p.exterior, into: &out)
                out += "</coordinates></LinearRing></outerBoundaryIs>"
                for h in p.holes {
                    out += "<innerBoundaryIs><LinearRing><coordinates>"
                    Self.coordinates(h, into: &out)
                    out += "</coordinates></LinearRing></innerBoundaryIs>"
                }
                out += "</Polygon>\n"
            }
            if multi { out += "</MultiGeometry>\n" }
            out += "</Placemark>\n"
        }
        out += "</Document>\n</kml>\n"
        return out
    }

    static func coordinates(_ ring: Ring, into out: inout String) {
        for (k, c) in ring.coordinates.enumerated() {
            if k > 0 { out += " " }
            out += JSONWriter.number(c.longitude) + "," + JSONWriter.number(c.latitude)
        }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
