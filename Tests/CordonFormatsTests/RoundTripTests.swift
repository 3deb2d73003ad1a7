import CordonCore
import CordonFormats
import CordonTestSupport
import Foundation
import Testing

@Suite struct RoundTripTests {
    static func sample() throws -> [Zone] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("zones/sample.geojson"))))
        let r = try GeoJSONReader().read(bytes, file: "sample.geojson")
        #expect(!r.hasErrors && r.zones.count >= 20)
        return r.zones.map(\.zone)
    }

    @Test func geoJSONExportReimportsToTheSameZones() throws {
        let zones = try Self.sample()
        let text = GeoJSONWriter().string(zones)
        let again = try GeoJSONReader().read(Array(text.utf8), file: "export.geojson")
        #expect(again.diagnostics.isEmpty)
        #expect(again.zones.map(\.zone) == zones)
        #expect(GeoJSONWriter().string(again.zones.map(\.zone)) == text)
    }

    @Test func kmlExportReimportsToTheSameZones() throws {
        let zones = try Self.sample()
        let kml = KMLWriter().string(zones)
        let once = try KMLReader().read(Array(kml.utf8), file: "export.kml")
        #expect(once.diagnostics.isEmpty, "\(once.diagnostics.prefix(3))")
        // Geometry, policy, schedule and dates survive exactly; metadata values become KML text.
        #expect(once.zones.map { $0.zone.withTextMetadata } == zones.map(\.withTextMetadata))
        // KML → KML is exact.
        let twice = try KMLReader().read(Array(KMLWriter().string(once.zones.map(\.zone)).utf8), file: "again.kml")
        #expect(twice.zones.map(\.zone) == once.zones.map(\.zone))
    }

    @Test func bundledKMLTwinHoldsTheSameZones() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("zones/sample.kml"))))
        let r = try KMLReader().read(bytes, file: "sample.kml")
        #expect(!r.hasErrors)
        #expect(r.zones.map { $0.zone.withTextMetadata } == (try Self.sample()).map(\.withTextMetadata))
    }
}

extension Zone {
    /// The zone with metadata values as KML carries them (text).
    var withTextMetadata: Zone {
        var z = self
        z.metadata = metadata.map { JSONMember($0.key, .string($0.value.stringValue ?? JSONWriter().string($0.value))) }
        return z
    }
}
