import Foundation
public import CordonCore
import CordonFormats

/// The zone file formats Cordon reads. `Sendable`.
public enum ZoneFileFormat: String, Sendable, CaseIterable {
    case geojson
    case kml
    case wkt

    /// The format named by a file's extension, else by its first non-blank character
    /// (`{` GeoJSON, `<` KML, anything else WKT; in UTF-8 or UTF-16). Nil for an empty file.
    public static func detect(path: String, bytes: [UInt8]) -> ZoneFileFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".geojson") || lower.hasSuffix(".json") { return .geojson }
        if lower.hasSuffix(".kml") { return .kml }
        if lower.hasSuffix(".wkt") || lower.hasSuffix(".tsv") { return .wkt }
        var i = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        // UTF-16 (with its byte order mark, or "<?" in UTF-16): judged by its first ASCII character.
        let utf16 = bytes.count >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) || bytes[0] == 0 || bytes[1] == 0)
        if utf16 { i = bytes[0] == 0 || bytes[1] == 0 ? 0 : 2 }
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) || (utf16 && bytes[i] == 0) { i += 1 }
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "{"): return .geojson
        case UInt8(ascii: "<"): return .kml
        default: return .wkt
        }
    }
}

/// Reads a file's bytes, refusing files over `limit` before reading them whole.
public func readFileBytes(_ path: String, limit: Int) throws(FormatError) -> [UInt8] {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let attributes, let handle = FileHandle(forReadingAtPath: path) else {
        throw .notZones(file: path, message: "cannot read the file (missing or not readable)")
    }
    defer { try? handle.close() }
    if let size = attributes[.size] as? NSNumber, size.intValue > limit {
        throw .tooLarge(file: path, bytes: size.intValue, limit: limit)
    }
    guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
        throw .notZones(file: path, message: "is a directory")
    }
    let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
    guard data.count <= limit else { throw .tooLarge(file: path, bytes: data.count, limit: limit) }
    return [UInt8](data)
}

extension ZoneSet {
    /// The version's zones as a GeoJSON FeatureCollection (with the set's `name` and `version`
    /// as foreign members) or a KML document, as `cordon zones export` and the HTTP export write them.
    public func exported(as format: ZoneFileFormat) -> String {
        switch format {
        case .kml:
            KMLWriter(documentName: "\(name) version \(version)").string(zones)
        case .geojson, .wkt:
            GeoJSONWriter(foreignMembers: [
                JSONMember("name", .string(name)), JSONMember("version", .number(Double(version))),
            ]).string(zones)
        }
    }
}
