import CordonCore
import CordonFormats
import CordonTestSupport
import Testing

@Suite struct ZoneReaderTests {
    func geojson(_ text: String, options: ZoneReadOptions = ZoneReadOptions()) throws -> ZoneFileReadResult {
        try GeoJSONReader(options: options).read(Array(text.utf8), file: "f.geojson")
    }

    @Test func geoJSONSemantics() throws {
        // Clockwise exterior, a third coordinate, a numeric Feature id, extra properties.
        let r = try geojson("""
            {"type":"FeatureCollection","features":[
             {"type":"Feature","id":7,"properties":{"name":"Base","category":"government","cameras":["cabin"],"data":"coarsen","coarsen_m":500,"operator":"x","floors":3},
              "geometry":{"type":"Polygon","coordinates":[[[116,39,50],[116,39.01,50],[116.01,39.01,50],[116.01,39,50],[116,39,50]]]}},
             {"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[117,39],[117.01,39],[117.01,39.01],[117,39]]]]}}
            ]}
            """)
        #expect(r.featureCount == 2 && r.zones.count == 2)
        let z = r.zones[0].zone
        #expect(z.id == "7" && z.name == "Base" && z.category == .government)
        #expect(z.policy == Policy(cameras: [.cabin], data: .coarsen(meters: 500)))
        #expect(z.bufferMeters == 200)
        #expect(z.geometry.polygons[0].exterior.isCounterClockwise)
        #expect(z.geometry.polygons[0].exterior.coordinates.count == 5 && !z.geometry.isMulti)
        #expect(z.metadata == [JSONMember("operator", .string("x")), JSONMember("floors", .number(3))])
        let unnamed = r.zones[1].zone
        #expect(unnamed.id == "f-1" && unnamed.category == .custom && unnamed.geometry.isMulti)
        #expect(unnamed.policy == Policy(cameras: [.exterior], data: .drop) && unnamed.bufferMeters == 100)
        let warnings = r.diagnostics.map { "\($0.featureIndex ?? -1) \($0.code)" }
        #expect(warnings == ["0 missing_category", "1 missing_id", "1 missing_category"].filter { $0 != "0 missing_category" })
        #expect(!r.hasErrors)
    }

    @Test func idPropertyAndBarePolygon() throws {
        var options = ZoneReadOptions()
        options.idProperty = "code"
        let r = try geojson(#"{"type":"Feature","id":"ignored","properties":{"code":"B-1","id":"other","category":"military"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[116.01,39],[116.01,39.01],[116,39]]]}}"#, options: options)
        #expect(r.zones.map(\.zone.id) == ["B-1"])
        // The id property stays as metadata; a separate `id` property is set aside with a warning.
        #expect(r.zones[0].zone.metadata == [JSONMember("code", .string("B-1"))])
        #expect(r.diagnostics.map(\.code) == ["id_ignored"])
        let bare = try geojson(#"{"type":"Polygon","coordinates":[[[116,39],[116.01,39],[116.01,39.01],[116,39]]]}"#)
        #expect(bare.zones.map(\.zone.id) == ["f-0"] && bare.zones[0].zone.category == .custom)
    }

    @Test func kmlSemantics() throws {
        let kml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>A</name><Folder>
            <Placemark id="pm-1"><name>Depot &amp; Yard</name>
              <ExtendedData><Data name="category"><value>defense_industry</value></Data><Data name="buffer_m"><value>250</value></Data>
                <Data name="cameras"><value>exterior</value></Data><Data name="site_code"><value>DY-9</value></Data></ExtendedData>
              <Polygon><outerBoundaryIs><LinearRing><coordinates>
                116,39,0 116.02,39,0 116.02,39.02,0 116,39.02,0 116,39,0
              </coordinates></LinearRing></outerBoundaryIs>
              <innerBoundaryIs><LinearRing><coordinates>116.005,39.005 116.005,39.01 116.01,39.01 116.01,39.005 116.005,39.005</coordinates></LinearRing></innerBoundaryIs>
              </Polygon></Placemark>
            </Folder></Folder>
            <Placemark><ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="id">pm-2</SimpleData><SimpleData name="category">military</SimpleData></SchemaData></ExtendedData>
              <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>117,39 117.01,39 117.01,39.01 117,39</coordinates></LinearRing></outerBoundaryIs></Polygon>
              <Polygon><outerBoundaryIs><LinearRing><coordinates>117.1,39 117.11,39 117.11,39.01 117.1,39</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry>
            </Placemark></Document></kml>
            """
        let r = try KMLReader().read(Array(kml.utf8), file: "f.kml")
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.zones.map(\.zone.id) == ["pm-1", "pm-2"])
        let a = r.zones[0].zone
        #expect(a.name == "Depot & Yard" && a.category == .defenseIndustry && a.bufferMeters == 250)
        #expect(a.policy == Policy(cameras: [.exterior], data: .drop))
        #expect(a.geometry.polygons[0].holes.count == 1 && !a.geometry.polygons[0].holes[0].isCounterClockwise)
        #expect(a.metadata == [JSONMember("site_code", .string("DY-9"))])
        #expect(r.zones[1].zone.geometry.polygons.count == 2 && r.zones[1].zone.geometry.isMulti)
    }

    /// A pre-RFC 7946 `crs` member: WGS84 in its usual spellings and CGCS2000 pass silently
    /// (longitude first, as GeoJSON writers put it); any other system gets a warning naming it,
    /// so a projected file's out-of-range errors come with their reason, while a geographic
    /// one (NAD83, a metre from WGS84) still imports.
    @Test(arguments: [
        ("urn:ogc:def:crs:OGC:1.3:CRS84", false), ("EPSG:4326", false), ("urn:ogc:def:crs:EPSG::4326", false),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", false), ("WGS84", false), ("EPSG:4490", false),
        ("urn:ogc:def:crs:EPSG::4269", true), ("urn:ogc:def:crs:EPSG::3857", true), ("EPSG:32650", true), ("EPSG:14326", true),
    ])
    func crsMemberIsCheckedByName(_ name: String, _ warned: Bool) throws {
        let text = """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"\(name)"}},"features":[
            {"type":"Feature","id":"a","properties":{"category":"military"},"geometry":{"type":"Polygon","coordinates":[[[116,39],[116.01,39],[116.01,39.01],[116,39]]]}}]}
            """
        let result = try GeoJSONReader().read(Array(text.utf8), file: "c.geojson")
        #expect(result.zones.count == 1)
        let warnings = result.diagnostics.filter { $0.code == "foreign_crs" }
        #expect(warnings.count == (warned ? 1 : 0))
        if warned { #expect(warnings[0].message.contains("declares the coordinate reference system \"\(name)\"")) }
    }

    /// KML in the encodings XML allows besides UTF-8: UTF-16 either way round (with a byte order
    /// mark, or only the declaration in UTF-16), ISO-8859-1 and windows-1252 by declaration. The
    /// name comes out the same; an encoding not read is refused by name, as are bytes that are
    /// not characters of the declared one.
    @Test func kmlInOtherEncodings() throws {
        func kml(_ encoding: String) -> String {
            """
            <?xml version="1.0" encoding="\(encoding)"?>
            <kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark id="p"><name>Caf\u{E9} \(encoding.hasPrefix("UTF") ? "军事 😀" : "")</name>
            <Polygon><outerBoundaryIs><LinearRing><coordinates>116,39 116.01,39 116.01,39.01 116,39</coordinates></LinearRing></outerBoundaryIs></Polygon>
            </Placemark></Document></kml>
            """
        }
        func utf16(_ text: String, littleEndian: Bool, mark: Bool) -> [UInt8] {
            ((mark ? [UInt16(0xFEFF)] : []) + Array(text.utf16))
                .flatMap { littleEndian ? [UInt8($0 & 0xFF), UInt8($0 >> 8)] : [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        }
        let latin1 = Array(kml("ISO-8859-1").unicodeScalars.map { UInt8($0.value) })  // é is 0xE9
        var cp1252 = Array(kml("windows-1252").unicodeScalars.map { UInt8($0.value) })
        let cases: [([UInt8], String)] = [
            (utf16(kml("UTF-16"), littleEndian: true, mark: true), "Café 军事 😀"),
            (utf16(kml("UTF-16"), littleEndian: false, mark: true), "Café 军事 😀"),
            (utf16(kml("UTF-16"), littleEndian: true, mark: false), "Café 军事 😀"),
            (latin1, "Café"),
            (cp1252, "Café"),
        ]
        for (bytes, name) in cases {
            let r = try KMLReader().read(bytes, file: "f.kml")
            #expect(r.zones.map(\.zone.name) == [name])
        }
        if let e = cp1252.firstIndex(of: 0xE9) { cp1252.insert(0x80, at: e + 1) }  // 0x80 is € in windows-1252
        #expect(try KMLReader().read(cp1252, file: "f.kml").zones.map(\.zone.name) == ["Café€"])
        func refused(_ bytes: [UInt8], _ fragment: String) {
            #expect { try KMLReader().read(bytes, file: "f.kml") } throws: { "\($0)".contains(fragment) }
        }
        refused(Array(kml("GB2312").utf8), "encoding \"GB2312\" is not supported")
        refused(Array(kml("UTF-16").utf8), "not UTF-16")
        refused(Array(kml("windows-1252").unicodeScalars.map { UInt8($0.value) }) + [0x81], "0x81 is not a windows-1252 character")
        refused(Array(utf16(kml("UTF-16"), littleEndian: true, mark: true).dropLast()), "odd number of bytes")
        refused([0xFF, 0xFE, 0x00, 0xD8, 0x3C, 0x00], "unpaired surrogate")
    }

    @Test func wktLinesTakePropertiesFromOptions() throws {
        var options = ZoneReadOptions()
        options.defaultProperties = [JSONMember("category", .string("government")), JSONMember("buffer_m", .number(75))]
        let text = "# comment\n\nA\tPOLYGON Z ((116 39 1, 116.01 39 1, 116.01 39.01 1, 116 39 1))\r\nB\tMULTIPOLYGON (((117 39, 117.01 39, 117.01 39.01, 117 39)), ((118 39, 118.01 39, 118.01 39.01, 118 39)))\nC\tPOLYGON ((1 2, 3 4)\n"
        let r = try WKTReader(options: options).read(Array(text.utf8), file: "z.wkt")
        try #require(r.zones.map(\.zone.id) == ["A", "B"], "\(r.diagnostics)")
        #expect(r.zones.allSatisfy { $0.zone.category == .government && $0.zone.bufferMeters == 75 })
        #expect(r.zones[1].zone.geometry.polygons.count == 2)
        let error = try #require(r.diagnostics.first)
        #expect(error.line == 5 && error.featureIndex == 2 && error.featureID == "C" && error.code == "syntax")
    }

    @Test func gcj02DatumIsConvertedOnRead() throws {
        var options = ZoneReadOptions()
        options.datum = .gcj02
        let g = GeodesyPairs.beijingGCJ
        let text = "{\"type\":\"Polygon\",\"coordinates\":[[[\(g.longitude),\(g.latitude)],[\(g.longitude + 0.01),\(g.latitude)],[\(g.longitude),\(g.latitude + 0.01)],[\(g.longitude),\(g.latitude)]]]}"
        let zone = try #require(try geojson(text, options: options).zones.first?.zone)
        let first = zone.geometry.polygons[0].exterior.coordinates[0]
        #expect(Geodesic.distance(first, GeodesyPairs.beijingWGS) < 0.01)
    }
}

enum GeodesyPairs {
    static let beijingWGS = Coordinate(longitude: 116.377817, latitude: 39.911954)
    static let beijingGCJ = Coordinate(longitude: 116.38404722455657, latitude: 39.91334545536069)
}
