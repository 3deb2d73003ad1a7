import Cordon
import CordonTestSupport
import Crypto
import Foundation
import Testing

@Suite struct ImportPipelineTests {
    @Test func naturalEarthRefusesSudanAndRepairImportsIt() throws {
        let path = Fixtures.sharedData("ne110_countries.geojson")
        let strict = ZoneCatalog.prepare(files: [path], options: ImportOptions())
        #expect(strict.featureCount == 177)
        let errors = strict.errors
        #expect(errors.count == 1)
        let sudan = try #require(errors.first)
        #expect(sudan.code == "self_intersection" && sudan.featureIndex == 14)
        #expect(sudan.message.hasPrefix("Self-intersection at 23.886979606,8.619729702"))
        var options = ImportOptions()
        options.repair = true
        let repaired = ZoneCatalog.prepare(files: [path], options: options)
        #expect(!repaired.hasErrors && repaired.entries.count == 177)
        #expect(repaired.warnings.contains { $0.code == "repaired" && $0.featureIndex == 14 })
        // Antarctica's edge along the south pole is not an antimeridian crossing.
        #expect(repaired.entries.contains { $0.zone.metadata.contains(JSONMember("name", .string("Antarctica"))) || $0.zone.name == "Antarctica" })
    }

    @Test func allOrNothingAndSkipInvalid() throws {
        let dir = Fixtures.temporaryDirectory()
        let good = dir.appendingPathComponent("good.wkt").path
        let bad = dir.appendingPathComponent("bad.wkt").path
        try "g1\tPOLYGON ((116 39, 116.01 39, 116.01 39.01, 116 39))\n".write(toFile: good, atomically: false, encoding: .utf8)
        try "b1\tPOLYGON ((116 39, 116.01 39.01, 116.01 39, 116 39.01, 116 39))\ng1\tPOLYGON ((117 39, 117.01 39, 117.01 39.01, 117 39))\n".write(toFile: bad, atomically: false, encoding: .utf8)
        let store = try ZoneStore(path: dir.appendingPathComponent("t.db").path)
        let catalog = ZoneCatalog(store: store)
        var options = ImportOptions()
        options.read.defaultProperties = [JSONMember("category", .string("military"))]
        let refused = try catalog.importZones(files: [good, bad], setName: "s", activate: true, actor: "t", options: options)
        #expect(refused.stored == nil)
        #expect(refused.errors.map(\.code) == ["self_intersection", "duplicate_id"])
        #expect(try store.sets().isEmpty)
        options.skipInvalid = true
        let partial = try catalog.importZones(files: [good, bad], setName: "s", activate: true, actor: "t", options: options)
        #expect(partial.stored?.zoneCount == 1)
        #expect(partial.errors.count == 2)
        #expect(try store.zoneSet(setName: "s").zones.map(\.id) == ["g1"])
    }

    @Test func checksumIsTheFilesSHA256AndLimitsApply() throws {
        let path = Fixtures.path("zones/sample.geojson")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let report = ZoneCatalog.prepare(files: [path], options: ImportOptions())
        #expect(report.checksum == "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
        var small = ImportOptions()
        small.read.maximumFileBytes = 1000
        let refused = ZoneCatalog.prepare(files: [path], options: small)
        #expect(refused.errors.map(\.code) == ["too_large"])
        #expect(refused.errors.first?.message.contains("over the limit of 1000 bytes") == true)
        var tiny = ImportOptions()
        tiny.maximumAreaSquareKilometres = 0.01
        #expect(ZoneCatalog.prepare(files: [path], options: tiny).errors.allSatisfy { $0.code == "too_large_area" })
        let missing = ZoneCatalog.prepare(files: ["/nonexistent/zones.geojson"], options: ImportOptions())
        #expect(missing.errors.map(\.code) == ["not_zones"])
    }

    @Test func sampleInBothFormatsGivesTheSameZoneSet() throws {
        let a = ZoneCatalog.prepare(files: [Fixtures.path("zones/sample.geojson")], options: ImportOptions())
        let b = ZoneCatalog.prepare(files: [Fixtures.path("zones/sample.kml")], options: ImportOptions())
        #expect(!a.hasErrors && !b.hasErrors && a.diagnostics.isEmpty)
        #expect(a.entries.map(\.zone.geometry) == b.entries.map(\.zone.geometry))
        #expect(a.entries.map(\.approach) == b.entries.map(\.approach))
        #expect(a.entries.map(\.zone.policy) == b.entries.map(\.zone.policy))
        // Every approach polygon contains its zone.
        #expect(a.entries.allSatisfy { $0.approach.boundingBox.contains($0.zone.geometry.boundingBox.center) })
    }

    /// A file without a telling extension (an HTTP body, `zones.xml`) is judged by its first
    /// character, in UTF-8 or UTF-16.
    @Test func formatIsDetectedFromContentInUTF8AndUTF16() {
        func utf16(_ text: String, littleEndian: Bool, mark: Bool) -> [UInt8] {
            ((mark ? [UInt16(0xFEFF)] : []) + Array(text.utf16))
                .flatMap { littleEndian ? [UInt8($0 & 0xFF), UInt8($0 >> 8)] : [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        }
        for (text, format) in [("<?xml version=\"1.0\"?><kml/>", ZoneFileFormat.kml), (" {\"type\": 1}", .geojson), ("a\tPOLYGON ((0 0, 1 0, 0 1, 0 0))", .wkt)] {
            #expect(ZoneFileFormat.detect(path: "zones.xml", bytes: Array(text.utf8)) == format)
            #expect(ZoneFileFormat.detect(path: "", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8)) == format)
            for (littleEndian, mark) in [(true, true), (false, true), (true, false), (false, false)] {
                #expect(ZoneFileFormat.detect(path: "body", bytes: utf16(text, littleEndian: littleEndian, mark: mark)) == format, "\(text) \(littleEndian) \(mark)")
            }
        }
        #expect(ZoneFileFormat.detect(path: "x", bytes: []) == nil)
        #expect(ZoneFileFormat.detect(path: "x.kml", bytes: Array("{".utf8)) == .kml)
    }

    /// gzip (any format inside) and KMZ (Google Earth's ZIP of a KML) read as what they hold;
    /// the size limit applies to what comes out; damaged, empty and foreign archives are refused
    /// with the reason (fixtures in zones/archives, made by Python's gzip and zipfile).
    @Test func gzipAndKMZAreReadAsWhatTheyHold() throws {
        func prepare(_ name: String, _ options: ImportOptions = ImportOptions()) -> ImportReport {
            ZoneCatalog.prepare(files: [Fixtures.path("zones/archives/" + name)], options: options)
        }
        for name in ["base.kml.gz", "deflated.kmz", "stored.kmz"] {
            let report = prepare(name)
            #expect(report.errors.isEmpty && report.entries.map(\.zone.id) == ["k1"], "\(name): \(report.diagnostics)")
        }
        let empty = prepare("two-members.geojson.gz")
        #expect(empty.errors.isEmpty && empty.featureCount == 0, "both gzip members are read: \(empty.diagnostics)")
        #expect(prepare("bomb.gz").errors.contains { $0.code == "empty_file" || $0.code == "syntax" })  // 100,000 spaces
        var small = ImportOptions()
        small.read.maximumFileBytes = 50_000
        let refusals: [(String, ImportOptions, String)] = [
            ("bomb.gz", small, "(decompressed)"), ("no-kml.kmz", ImportOptions(), "the archive holds no .kml file"),
            ("truncated.kmz", ImportOptions(), "no central directory"),
        ]
        for (name, options, fragment) in refusals {
            let report = prepare(name, options)
            #expect(report.errors.contains { "\($0)".contains(fragment) }, "\(name): \(report.diagnostics)")
        }
    }

    @Test func sameFileTwiceIsDuplicateIdsNotACrash() {
        let path = Fixtures.path("zones/sample.geojson")
        let report = ZoneCatalog.prepare(files: [path, path], options: ImportOptions())
        #expect(report.entries.count == 22 && report.errors.count == 22)
        #expect(report.errors.allSatisfy { $0.code == "duplicate_id" })
    }

    @Test func repairClosesRingsAndReportsIt() throws {
        var options = ImportOptions()
        options.repair = true
        options.read.defaultProperties = [JSONMember("category", .string("military"))]
        let report = ZoneCatalog.prepare(sources: [("open.wkt", Array("o\tPOLYGON ((116 39, 116.01 39, 116.01 39.01))\n".utf8))], options: options)
        #expect(!report.hasErrors && report.entries.count == 1)
        #expect(report.warnings.map(\.code) == ["ring_closed"])
    }
}
