import Cordon
import CordonTestSupport
import Foundation
import Testing

/// Whole-output and exit-code tests of the `cordon` executable (docs/cli.md).
@Suite struct CLITests {
    let sample = Fixtures.path("zones/sample.geojson")

    func run(_ args: [String], in dir: URL) throws -> CLIRunner.Output { try CLIRunner.run(args, in: dir) }

    /// Replaces ISO timestamps, which change on every run.
    func stable(_ s: String) -> String {
        s.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "<time>", options: .regularExpression)
    }

    @Test func validateSample() throws {
        let out = try run(["zones", "validate", sample], in: Fixtures.temporaryDirectory())
        #expect(out.status == 0 && out.stderr == "")
        #expect(out.stdout == """
            1 file(s), 22 feature(s): 22 valid, 0 refused; 0 error(s), 0 warning(s)
            valid zones: 1,280 vertices, approach polygons 1,823 vertices
            checksum sha256:ff39507f6852f5b16f8ba49551ea1a06cbc1c9aced0b17479a3b6987d13b546f
            valid

            """)
    }

    @Test func validateInvalidFileExitsOneWithTheReasonOnStderr() throws {
        let out = try run(["zones", "validate", Fixtures.path("zones/invalid/self-intersection.geojson")], in: Fixtures.temporaryDirectory())
        #expect(out.status == 1)
        #expect(out.stderr == Fixtures.path("zones/invalid/self-intersection.geojson") + #": error: feature 0 (id "bowtie"): Self-intersection at 116.005,39.005 (import with --repair to fix it with GEOS MakeValid) [self_intersection]"# + "\n")
        #expect(out.stdout.hasPrefix("1 file(s), 1 feature(s): 0 valid, 1 refused; 1 error(s), 0 warning(s)\n"))
    }

    @Test func importListShowActivateRollbackExport() throws {
        let dir = Fixtures.temporaryDirectory()
        var out = try run(["zones", "import", sample, "--set", "sample", "--activate", "--actor", "tester"], in: dir)
        #expect(out.status == 0)
        #expect(out.stdout.hasSuffix("stored \"sample\" version 1: 22 zones (active)\n"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cordon.db").path))
        out = try run(["zones", "import", sample, "--set", "sample", "--actor", "tester"], in: dir)
        #expect(out.stdout.hasSuffix("stored \"sample\" version 2: 22 zones (not active; activate with: cordon zones activate --set sample --version 2)\n"))
        out = try run(["zones", "list"], in: dir)
        #expect(stable(out.stdout) == """
            SET     VERSION  ACTIVE  ZONES  VERTICES  CREATED  BY      SOURCE          CHECKSUM
            sample  1        *       22     1,280     <time>  tester  sample.geojson  sha256:ff39507f6852
            sample  2                22     1,280     <time>  tester  sample.geojson  sha256:ff39507f6852

            """.replacingOccurrences(of: "CREATED  BY", with: "CREATED                   BY"))
        out = try run(["zones", "show", "--set", "sample", "bj-00045"], in: dir)
        #expect(out.status == 0)
        #expect(out.stdout == """
            id:           bj-00045
            name:         Government site 45
            set:          sample version 1
            category:     government
            cameras off:  none
            data:         drop
            buffer:       300 m
            schedule:     Asia/Shanghai: mon,tue,wed,thu,fri 07:00-20:00
            geometry:     Polygon, 1 part(s), 0 hole(s), 28 vertices
            bounds:       lon 116.3756614…116.3771332, lat 39.9154233…39.916477
            area:         9024 m² (approach 431696 m²)
            approach:     1 part(s), 41 vertices
            city:         beijing
            source_id:    45

            """)
        out = try run(["zones", "activate", "--set", "sample", "--version", "2"], in: dir)
        #expect(out.status == 0 && out.stdout.hasPrefix("activated \"sample\" version 2 (22 zones, sha256:ff39"))
        out = try run(["zones", "rollback", "--set", "sample"], in: dir)
        #expect(out.status == 0 && out.stdout == "rolled back \"sample\": version 1 is active (22 zones)\n")
        out = try run(["zones", "rollback", "--set", "sample"], in: dir)
        #expect(out.status == 1 && out.stderr == "error: zone set \"sample\" has no earlier activation to roll back to\n")
        // Export → import gives the same zones.
        out = try run(["zones", "export", "--set", "sample", "--out", "again.geojson"], in: dir)
        #expect(out.status == 0 && out.stdout == "wrote 22 zones of \"sample\" version 1 to again.geojson\n")
        out = try run(["zones", "export", "--set", "sample", "--format", "kml"], in: dir)
        #expect(out.status == 0 && out.stdout.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml"))
        out = try run(["zones", "import", "again.geojson", "--set", "again", "--activate"], in: dir)
        #expect(out.status == 0)
        let store = try ZoneStore(path: dir.appendingPathComponent("cordon.db").path)
        #expect(try store.zoneSet(setName: "again").entries == store.zoneSet(setName: "sample").entries)
        out = try run(["zones", "audit"], in: dir)
        #expect(stable(out.stdout).contains("rollback  sample  1        active version 2 → 1"))
    }

    @Test(arguments: [
        (["zones", "import", "x.geojson"], Int32(2)),  // --set missing
        (["zones", "frobnicate"], Int32(2)),
        (["zones", "export", "--set", "s", "--format", "shp"], Int32(2)),
        (["zones", "validate", "x.geojson", "--datum", "nad27"], Int32(2)),
        (["zones", "show", "--set", "s", "z"], Int32(3)),  // no database here
        (["zones", "list", "--db", "/"], Int32(3)),  // not a database
        (["zones", "validate", "/nonexistent.geojson"], Int32(1)),
        (["--version"], Int32(0)),
        (["replay", "--zones", "z.geojson", "t.csv", "--out", "o", "--threads", "0"], Int32(2)),
        (["replay", "--zones", "z.geojson", "t.csv", "--out", "o", "--threads", "100000"], Int32(2)),
    ])
    func exitCodes(_ args: [String], _ status: Int32) throws {
        let out = try run(args, in: Fixtures.temporaryDirectory())
        #expect(out.status == status, "\(args): \(out.stderr)")
        if status != 0 { #expect(!out.stderr.isEmpty) }
    }

    /// Negative coordinates are numbers wherever the options stand; `--` still works.
    @Test func checkReadsNegativeCoordinates() throws {
        let dir = Fixtures.temporaryDirectory()
        let expected = "-33.92, -70.5 (lat, lon) in \"sample.geojson\":\n  no zone\n"
        for args in [
            ["check", "--zones", sample, "-33.92", "-70.5"], ["check", "-33.92", "-70.5", "--zones", sample],
            ["check", "-33.92", "--zones=\(sample)", "-70.5"], ["check", "--zones", sample, "--", "-33.92", "-70.5"],
        ] {
            let out = try run(args, in: dir)
            #expect(out.status == 0 && out.stdout == expected, "\(args): \(out.stderr)")
        }
        let out = try run(["check", "--zones", sample, "-95", "10"], in: dir)
        #expect(out.status == 1 && out.stderr.contains("latitude must be in [-90, 90]"))
    }

    /// `cordon --version` prints the version; a subcommand's `--version` is the zone-set
    /// version, and its help lists only that one.
    @Test func versionFlagIsTheRootsOnly() throws {
        var out = try run(["--version"], in: Fixtures.temporaryDirectory())
        #expect(out.status == 0 && out.stdout == "0.1.0\n")
        out = try run(["locate", "--help"], in: Fixtures.temporaryDirectory())
        #expect(out.stdout.components(separatedBy: "--version").count == 3, "\(out.stdout)")  // usage line and one option
        #expect(!out.stdout.contains("Show the version"))
    }

    @Test func missingZoneAndSetExitOne() throws {
        let dir = Fixtures.temporaryDirectory()
        _ = try run(["zones", "import", sample, "--set", "sample", "--activate"], in: dir)
        var out = try run(["zones", "show", "--set", "sample", "nope"], in: dir)
        #expect(out.status == 1 && out.stderr == "error: zone set \"sample\" version 1 has no zone \"nope\"\n")
        out = try run(["zones", "export", "--set", "other"], in: dir)
        #expect(out.status == 1 && out.stderr == "error: no zone set named \"other\"\n")
    }
}
