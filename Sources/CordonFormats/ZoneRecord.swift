public import CordonCore

/// The canonical text of a zone's properties and its inverse, used wherever a zone is
/// serialised outside a zone file (the store's rows, HTTP bodies). Decoding runs the same
/// interpreter as import on the properties, so a stored zone means exactly what the imported
/// one did.
///
/// Stateless; `Sendable`.
public enum ZoneRecord {
    /// The zone's properties (everything but geometry) as compact JSON text.
    public static func propertiesJSON(_ zone: Zone) -> String {
        JSONWriter().string(.object(ZoneInterpreter.properties(of: zone)))
    }

    /// A schedule as compact JSON text.
    public static func scheduleJSON(_ schedule: Schedule) -> String {
        JSONWriter().string(ZoneInterpreter.scheduleJSON(schedule))
    }

    /// Rebuilds a zone from `propertiesJSON` text and its geometry; nil with a reason when the
    /// text does not describe a valid zone. The geometry is taken as it is: it must be one the
    /// import checks passed (a stored zone's), not one read from elsewhere.
    public static func zone(propertiesJSON: String, geometry: MultiPolygon) -> Result<Zone, RecordError> {
        let parsed: JSONValue
        do {
            parsed = try JSONParser().parse(Array(propertiesJSON.utf8), file: "record")
        } catch {
            return .failure(RecordError(message: error.description))
        }
        guard case .object(let members) = parsed else { return .failure(RecordError(message: "properties are not an object")) }
        var result = ZoneFileReadResult(file: "record")
        // The stored geometry passed the interpreter's checks (and GEOS validation) on import:
        // it is taken as stored, not copied ring by ring and checked again.
        ZoneInterpreter(file: "record", options: ZoneReadOptions()).zone(
            index: 0, properties: members, fallbackID: nil, polygons: [], isMulti: geometry.isMulti, checked: geometry, into: &result)
        guard let zone = result.zones.first?.zone else {
            return .failure(RecordError(message: result.diagnostics.map(\.message).joined(separator: "; ")))
        }
        return .success(zone)
    }

    /// Why a stored record could not be decoded. `Sendable`.
    public struct RecordError: Error, Sendable, Hashable {
        public var message: String
    }
}
