import Cordon
import CordonTestSupport
import Foundation
import Testing

/// `cordon check`, `locate` and `bench`: whole output and exit codes.
@Suite struct IndexCLITests {
    func importedSample() throws -> URL {
        let dir = Fixtures.temporaryDirectory()
        let out = try CLIRunner.run(["zones", "import", Fixtures.path("zones/sample.geojson"), "--set", "sample", "--activate"], in: dir)
        #expect(out.status == 0)
        return dir
    }

    @Test func checkNamedPositions() throws {
        let dir = try importedSample()
        var out = try CLIRunner.run(["check", "39.9154563", "116.375986"], in: dir)
        #expect(out.status == 0)
        #expect(out.stdout == """
            39.9154563, 116.375986 (lat, lon) in "sample" version 1:
              bj-00045  core  government  cameras off: none  data: drop  Government site 45

            """)
        out = try CLIRunner.run(["check", "39.918", "116.3764"], in: dir)
        #expect(out.stdout.contains("bj-00045  approach (300 m)  government"))
        out = try CLIRunner.run(["check", "39.95", "116.2"], in: dir)
        #expect(out.stdout == "39.95, 116.2 (lat, lon) in \"sample\" version 1:\n  no zone\n")
        out = try CLIRunner.run(["check", "--", "-33.92", "18.42"], in: dir)
        #expect(out.status == 0 && out.stdout.hasSuffix("  no zone\n"))
        out = try CLIRunner.run(["check", "95", "116"], in: dir)
        #expect(out.status == 1 && out.stderr.contains("latitude must be in [-90, 90]"))
        out = try CLIRunner.run(["check", "39.9", "116.4", "--set", "nope"], in: dir)
        #expect(out.status == 1 && out.stderr == "error: no zone set named \"nope\"\n")
    }

    /// Import with `--activate`, and `zones activate`, leave the active version's index in
    /// `DB.index-cache`; the commands that load the set read it, and answer as a fresh build does.
    @Test func theActiveVersionsIndexIsCachedBesideTheDatabase() throws {
        let dir = try importedSample()
        let cache = dir.appendingPathComponent("cordon.db.index-cache")
        let first = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(first.count == 1 && first[0].hasSuffix(".cdx"), "\(first)")
        for point in [["39.9154563", "116.375986"], ["39.918", "116.3764"], ["39.95", "116.2"]] {
            let cached = try CLIRunner.run(["check"] + point, in: dir)
            let built = try CLIRunner.run(["check", "--no-index-cache"] + point, in: dir)
            #expect(cached.status == 0 && cached.stdout == built.stdout)
        }
        // A second version, moved a degree east, imported without activation: no new file until
        // it is activated.
        let zones = try String(contentsOfFile: Fixtures.path("zones/sample.geojson"), encoding: .utf8)
        try zones.replacingOccurrences(of: "116.", with: "117.").write(
            to: dir.appendingPathComponent("moved.geojson"), atomically: true, encoding: .utf8)
        var out = try CLIRunner.run(["zones", "import", "moved.geojson", "--set", "sample"], in: dir)
        #expect(out.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).count == 1)
        out = try CLIRunner.run(["zones", "activate", "--set", "sample", "--version", "2"], in: dir)
        #expect(out.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).count == 2)
        out = try CLIRunner.run(["zones", "rollback", "--set", "sample"], in: dir)
        #expect(out.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).count == 2)
    }

    @Test func locateWritesOneRowPerPointInOrder() throws {
        let dir = try importedSample()
        var out = try CLIRunner.run(["locate", "--points", Fixtures.path("zones/sample-points.csv")], in: dir)
        #expect(out.status == 0)
        #expect(out.stdout == "id,zone_ids\ninside,bj-00045\nvertex,bj-00045\napproach,\noutside,\n")
        out = try CLIRunner.run(["locate", "--points", Fixtures.path("zones/sample-points.csv"), "--approach", "--out", "z.csv"], in: dir)
        #expect(out.status == 0 && out.stdout.isEmpty)
        let written = try String(contentsOf: dir.appendingPathComponent("z.csv"), encoding: .utf8)
        #expect(written == "id,zone_ids\ninside,bj-00045\nvertex,bj-00045\napproach,bj-00045\noutside,\n")
        // A zone file read directly answers as the stored set does: without --approach its
        // approach polygons are not buffered at all, with it they are.
        let samplePoints = Fixtures.path("zones/sample-points.csv"), sampleZones = Fixtures.path("zones/sample.geojson")
        out = try CLIRunner.run(["locate", "--zones", sampleZones, "--points", samplePoints], in: dir)
        #expect(out.stdout == "id,zone_ids\ninside,bj-00045\nvertex,bj-00045\napproach,\noutside,\n")
        out = try CLIRunner.run(["locate", "--zones", sampleZones, "--points", samplePoints, "--approach"], in: dir)
        #expect(out.stdout == written)
        // --zones reads the file directly; columns in any order; several zones sorted, joined by ';'.
        let points = dir.appendingPathComponent("p.csv")
        try "lon,extra,id,lat\n116.3764,x,a,39.916\n116.2,y,b,39.95\n".write(to: points, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["locate", "--zones", Fixtures.path("zones/sample.geojson"), "--points", points.path], in: Fixtures.temporaryDirectory())
        #expect(out.stdout == "id,zone_ids\na,bj-00045\nb,\n")
        // RFC 4180 both ways: quoted ids with commas, doubled quotes and a line break come back
        // quoted; a byte-order mark, CRLF and quoted header names are read.
        try Data("\u{FEFF}\"lat\",\"id\",lon\r\n39.916,\"a,1\",116.3764\r\n39.95,\"say \"\"hi\"\"\nthere\",116.2\r\n".utf8).write(to: points)
        out = try CLIRunner.run(["locate", "--zones", Fixtures.path("zones/sample.geojson"), "--points", points.path], in: Fixtures.temporaryDirectory())
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "id,zone_ids\n\"a,1\",bj-00045\n\"say \"\"hi\"\"\nthere\",\n")
        try "id,lat,lon\n\"open,39.9,116.3\n".write(to: points, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["locate", "--points", points.path], in: dir)
        #expect(out.status == 1 && out.stderr.contains("p.csv:2:1: error: a quoted field is not closed"))
        try "id,lat,lon\n1,39.9,abc\n".write(to: points, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["locate", "--points", points.path], in: dir)
        #expect(out.status == 1 && out.stderr.contains("p.csv:2:") && out.stderr.contains("lon is not a number"))
        // One name twice: refused, not guessed.
        try "id,lat,lon,LAT\n1,39.9,116.3,39.8\n".write(to: points, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["locate", "--points", points.path], in: dir)
        #expect(out.status == 1)
        #expect(out.stderr.contains("p.csv:1:1: error: the header names column \"lat\" more than once (columns 2, 4)"))
    }

    @Test func locateOnAnInvalidZoneFileRefusesOrRepairsOnRequest() throws {
        let dir = Fixtures.temporaryDirectory()
        let points = dir.appendingPathComponent("p.csv")
        // The bowtie's two lobes (MakeValid keeps both), its crossing point, and a point outside.
        try "id,lat,lon\nleft,39.005,116.001\nright,39.005,116.009\ncross,39.005,116.005\nout,39.02,116.02\n"
            .write(to: points, atomically: false, encoding: .utf8)
        let zones = Fixtures.path("zones/invalid/self-intersection.geojson")
        var out = try CLIRunner.run(["locate", "--zones", zones, "--points", points.path], in: dir)
        #expect(out.status == 1 && out.stdout.contains("1 feature(s): 0 valid, 1 refused; 1 error(s), 0 warning(s)\n"))
        #expect(out.stderr.contains("[self_intersection]") && out.stderr.hasSuffix("is not a valid zone file (--repair mends invalid geometry with GEOS MakeValid)\n"))
        out = try CLIRunner.run(["locate", "--zones", zones, "--points", points.path, "--repair"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "id,zone_ids\nleft,bowtie\nright,bowtie\ncross,bowtie\nout,\n")
        #expect(out.stderr.contains("repaired: MakeValid") && out.stderr.contains("[repaired]"))
        out = try CLIRunner.run(["locate", "--points", points.path, "--repair"], in: dir)
        #expect(out.status != 0 && out.stderr.contains("--repair applies to --zones"))
        // A refusal that repair cannot mend (not a polygon) does not suggest it.
        let collection = dir.appendingPathComponent("collection.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"military"},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[116,39],[116.01,39],[116.01,39.01],[116,39]]]}]}}]}"#
            .write(to: collection, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["locate", "--zones", collection.path, "--points", points.path], in: dir)
        #expect(out.status == 1 && out.stderr.contains("[not_polygon]"))
        #expect(out.stderr.hasSuffix("collection.geojson is not a valid zone file\n"), "\(out.stderr)")
    }

    @Test func benchReportsEveryMethodInOneJSONObject() throws {
        let dir = Fixtures.temporaryDirectory()
        let points = dir.appendingPathComponent("p.csv")
        var text = "id,lat,lon\n"
        for k in 0..<2000 { text += "\(k),\(39.90 + Double(k % 50) * 0.0004),\(116.36 + Double(k / 50) * 0.0005)\n" }
        try text.write(to: points, atomically: false, encoding: .utf8)
        let out = try CLIRunner.run(
            ["bench", "--zones", Fixtures.path("zones/sample.geojson"), "--points", points.path, "--json", "--repeats", "1"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONParser().parse(Array(out.stdout.utf8), file: "bench")
        for key in ["cordon_batch_points_per_s", "cordon_single_points_per_s", "geos_points_per_s", "naive_points_per_s", "ratio_vs_geos"] {
            #expect((json[key]?.numberValue ?? 0) > 0, "\(key)")
        }
        #expect(json["mismatches_vs_geos"]?.numberValue == 0)
        #expect(json["points"]?.numberValue == 2000)
    }

    @Test func benchOnAStoredSetWithTheQueryProfile() throws {
        let dir = Fixtures.temporaryDirectory()
        var out = try CLIRunner.run(
            ["zones", "import", Fixtures.path("zones/sample.geojson"), "--db", "b.db", "--set", "s", "--activate"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let points = dir.appendingPathComponent("p.csv")
        var text = "id,lat,lon\n"
        for k in 0..<500 { text += "\(k),\(39.90 + Double(k % 25) * 0.0008),\(116.36 + Double(k / 25) * 0.001)\n" }
        try text.write(to: points, atomically: false, encoding: .utf8)
        out = try CLIRunner.run(["bench", "--db", "b.db", "--set", "s", "--points", points.path, "--repeats", "1", "--profile"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("profile: per point "))
        #expect(out.stdout.contains("profile: edges read 0: "))
        #expect(out.stdout.contains("zones 22 "))
        #expect(out.stdout.contains("cordon vs GEOS on 500 points: 0 mismatch(es)"))
        out = try CLIRunner.run(["bench", "--db", "b.db", "--set", "nope", "--points", points.path], in: dir)
        #expect(out.status != 0 && out.stderr.contains("nope"))
        out = try CLIRunner.run(["bench", "--db", "b.db", "--zones", Fixtures.path("zones/sample.geojson")], in: dir)
        #expect(out.status != 0 && out.stderr.contains("give --zones or --db, not both"))
        out = try CLIRunner.run(["bench", "--set", "s"], in: dir)
        #expect(out.status != 0 && out.stderr.contains("--set needs --db"))
    }
}

/// `cordon replay`: outputs, messages and exit codes as a user sees them.
@Suite struct ReplayCLITests {
    @Test func replayWritesItsOutputsReportsBadRowsAndStrictFails() throws {
        let dir = Fixtures.temporaryDirectory()
        var out = try CLIRunner.run(
            ["replay", "--zones", Fixtures.path("zones/sample.geojson"), Fixtures.path("trips/sample.csv"), "--out", "r"], in: dir)
        #expect(out.status == 0)
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("r").path)) ?? [])
        #expect(files == ["directives.ndjson", "sample.redacted.csv", "report.json", "report.txt", "map.svg"])
        #expect(out.stdout.hasPrefix("replayed 1,261 fixes of 3 vehicles in "))
        #expect(out.stdout.contains("  map:        r/map.svg\n"))
        // stderr is not a terminal here: the malformed row, and no progress bar.
        #expect(out.stderr == "warning: \(Fixtures.path("trips/sample.csv")):702: timestamp \"not-a-time\" is not ISO 8601 with a zone, nor epoch seconds or milliseconds\n")
        let report = try JSONParser().parse(Array((try? Data(contentsOf: dir.appendingPathComponent("r/report.json"))) ?? Data()), file: "report.json")
        guard case .object(let root) = report, case .object(let totals)? = root.first(where: { $0.key == "totals" })?.value else {
            Issue.record("report.json has no totals object")
            return
        }
        for key in ["fixes_in", "fixes_kept", "fixes_dropped", "fixes_coarsened", "fixes_rejected"] {
            #expect(totals.contains { $0.key == key }, "totals lacks \(key)")
        }
        #expect(totals.first { $0.key == "fixes_in" }?.value == .number(1261))
        #expect(totals.first { $0.key == "fixes_rejected" }?.value == .number(1))

        out = try CLIRunner.run(
            ["replay", "--zones", Fixtures.path("zones/sample.geojson"), Fixtures.path("trips/sample.csv"), "--out", "s", "--strict"], in: dir)
        #expect(out.status == 1)
        #expect(out.stderr.contains("sample.csv:702: timestamp \"not-a-time\""))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("s").path)) ?? []).isEmpty)

        out = try CLIRunner.run(["replay", "--zones", Fixtures.path("zones/sample.geojson"), "nope.csv", "--out", "t"], in: dir)
        #expect(out.status == 1 && out.stderr == "nope.csv: error: No such file or directory\n")
        out = try CLIRunner.run(["replay", "--zones", Fixtures.path("zones/sample.geojson"), "x.csv", "--out", "t", "--format", "xls"], in: dir)
        #expect(out.status == 2)
        #expect(out.stdout.isEmpty)
    }

    /// The parse-only floor is the parse alone: it reads no zones (here there is no database at
    /// all) and writes nothing.
    @Test func parseOnlyReadsNoZonesAndWritesNothing() throws {
        let dir = Fixtures.temporaryDirectory()
        let out = try CLIRunner.run(["replay", Fixtures.path("trips/sample.csv"), "--out", "p", "--parse-only"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("parsed 1,261 rows (1 unusable) in "))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("cordon.db").path))
    }
}
