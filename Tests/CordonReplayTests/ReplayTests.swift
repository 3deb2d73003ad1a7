import Cordon
import CordonTestSupport
import Foundation
import Testing

/// Replays of small trips through the sample zone set (zones/sample.geojson, GEOS buffers):
/// V1 drives north through Government site 45 (drop), V2 east through military zone bj-00220
/// (coarsen 1000 m), V3 stays far from every zone.
@Suite struct ReplayTests {
    static let zoneSet: ZoneSet = {
        let report = ZoneCatalog.prepare(files: [Fixtures.path("zones/sample.geojson")], options: ImportOptions())
        return ZoneSet(name: "sample", version: 3, entries: report.entries)
    }()
    static let zones = ZoneSnapshot(zoneSet)
    static let start: Int64 = 1_772_438_400_000  // 2026-03-02T08:00:00Z

    struct Fix {
        var vehicle: String
        var time: Int64
        var lat: Double
        var lon: Double
        var speed: Double
        var heading: Double
    }

    /// The three vehicles, interleaved by time (as a fleet stream arrives).
    static let fixes: [Fix] = {
        let m = WGS84.authalicRadius * .pi / 180
        var out: [Fix] = []
        for s in 0..<360 {
            let t = start + Int64(s) * 1000
            out.append(Fix(vehicle: "V1", time: t, lat: 39.900 + Double(s) * 10 / m, lon: 116.3764, speed: 10, heading: 0))
            out.append(Fix(vehicle: "V2", time: t, lat: 39.8234, lon: 116.27 + Double(s) * 10 / (m * cos(39.8234 * .pi / 180)), speed: 10, heading: 90))
            out.append(Fix(vehicle: "V3", time: t, lat: 39.95, lon: 116.2 + Double(s) * 1e-5, speed: 1, heading: 90))
        }
        return out
    }()

    static func iso(_ ms: Int64) -> String { Timestamp(millisecondsSinceEpoch: ms).iso8601 }

    /// `copies` copies of the shared fixes, each copy's vehicles renamed `ID-k`, interleaved in
    /// time order as a fleet stream arrives.
    static func fleet(copies: Int) -> [Fix] {
        var all: [Fix] = []
        for copy in 0..<copies {
            all += fixes.map { var f = $0; f.vehicle += "-\(copy)"; return f }
        }
        all.sort { $0.time < $1.time }
        return all
    }

    static func csv(_ fixes: [Fix]) -> String {
        var text = "vehicle_id,timestamp,lat,lon,speed,heading,note\n"
        for (k, f) in fixes.enumerated() {
            text += "\(f.vehicle),\(iso(f.time)),\(f.lat),\(f.lon),\(f.speed),\(f.heading),\"row \(k), \"\"quoted\"\"\"\n"
        }
        return text
    }

    static func ndjson(_ fixes: [Fix]) -> String {
        fixes.map { f in
            "{\"vehicle_id\":\"\(f.vehicle)\",\"time\":\"\(iso(f.time))\",\"lat\":\(f.lat),\"lon\":\(f.lon),\"speed\":\(f.speed),\"heading\":\(f.heading),\"extra\":{\"a\":[1,2]}}\n"
        }.joined()
    }

    static func gpx(_ fixes: [Fix], name: String) -> String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
        text += "  <trk>\n    <name>\(name)</name>\n    <trkseg>\n"
        for f in fixes {
            text += "      <trkpt lat=\"\(f.lat)\" lon=\"\(f.lon)\"><time>\(iso(f.time))</time><speed>\(f.speed)</speed><course>\(f.heading)</course></trkpt>\n"
        }
        return text + "    </trkseg>\n  </trk>\n</gpx>\n"
    }

    static func write(_ text: String, _ name: String, in dir: URL) -> String {
        let path = dir.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// Replays, then checks what must hold for every replay: for each input and in total,
    /// rows in = kept + dropped + rejected, coarsened ⊂ kept, local-only ⊂ dropped.
    static func replay(_ paths: [String], options: ReplayOptions = ReplayOptions(), out: URL) throws -> ReplayReport {
        try replay(Replay(zones: zones, zoneSet: zoneSet, options: options), paths, out: out)
    }

    /// `replay(_:options:out:)` with a replay made by the caller (who may ask it afterwards how
    /// it ran).
    static func replay(_ replay: Replay, _ paths: [String], out: URL) throws -> ReplayReport {
        let report = try replay.run(inputs: paths, directory: out.path)
        #expect(report.files.map(\.file) == paths)
        for c in report.files.map(\.counts) + [report.totals] {
            #expect(c.rowsIn == c.kept + c.dropped + c.rejected, "not conserved: \(c)")
            #expect(c.coarsened <= c.kept && c.localOnly <= c.dropped)
        }
        return report
    }

    static func lines(_ url: URL) -> [String] {
        (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
    }

    /// The directives the engine's public API gives for the same fixes fed one by one.
    static func engineDirectives(_ fixes: [Fix]) -> [String] {
        var states: [String: VehicleState] = [:]
        var out: [String: [String]] = [:]
        for f in fixes {
            var state = states[f.vehicle] ?? VehicleState(vehicleID: f.vehicle)
            let fix = PositionFix(vehicleID: f.vehicle, time: Timestamp(millisecondsSinceEpoch: f.time), latitude: f.lat, longitude: f.lon, speed: f.speed, heading: f.heading)
            for d in VehicleTracker.apply(fix, to: &state, zones: zones) { out[f.vehicle, default: []].append(d.jsonLine) }
            states[f.vehicle] = state
        }
        return out.keys.sorted(by: naturalIDOrder).flatMap { out[$0] ?? [] }
    }

    @Test func replayGivesExactlyTheEngineAPIsDirectives() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let trip = Self.write(Self.csv(Self.fixes), "trip.csv", in: dir)
        let out = dir.appendingPathComponent("out")
        let report = try Self.replay([trip], out: out)
        let replayed = Self.lines(out.appendingPathComponent("directives.ndjson")).filter { !$0.isEmpty }
        let expected = Self.engineDirectives(Self.fixes)
        #expect(!expected.isEmpty)
        #expect(replayed == expected)
        // The trip does what it was drawn to do.
        #expect(report.vehicles["V1"]?.counts.dropped ?? 0 > 0)
        #expect(report.vehicles["V2"]?.counts.coarsened ?? 0 > 0)
        #expect(report.vehicles["V3"]?.counts.kept == 360)
        #expect(report.vehicles["V1"]?.enters == 1)
    }

    @Test func rowsAreConservedAndKeptRowsAreByteIdentical() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let text = Self.csv(Self.fixes)
        let trip = Self.write(text, "trip.csv", in: dir)
        let out = dir.appendingPathComponent("out")
        let report = try Self.replay([trip], out: out)
        let t = report.totals
        #expect(t.rowsIn == Self.fixes.count)
        #expect(t.rowsIn == t.kept + t.dropped + t.rejected)
        let input = text.split(separator: "\n").map(String.init)
        let output = Self.lines(out.appendingPathComponent("trip.redacted.csv")).filter { !$0.isEmpty }
        #expect(output.first == input.first)  // header
        #expect(output.count - 1 == t.kept)
        // Every output row is an input row, in input order: unchanged, or (coarsened) with
        // only lat and lon replaced.
        var k = 1
        var coarsened = 0
        for row in output.dropFirst() {
            while k < input.count && input[k] != row && !Self.sameExceptPosition(input[k], row) { k += 1 }
            #expect(k < input.count, "output row not found in order: \(row)")
            if k < input.count && input[k] != row { coarsened += 1 }
            k += 1
        }
        #expect(coarsened == t.coarsened)
        // By category: V1's drops are the government site's, V2's coarsened rows the military
        // zone's (each zone has one category, and the trips meet no other).
        #expect(t.dropped > 0 && t.coarsened > 0)
        #expect(report.categories[.government]?.dropped == t.dropped && report.categories[.government]?.coarsened == 0)
        #expect(report.categories[.military]?.coarsened == t.coarsened && report.categories[.military]?.dropped == 0)
        // No kept row lies inside one of its vehicle's drop windows.
        let directives = Self.lines(out.appendingPathComponent("directives.ndjson")).filter { !$0.isEmpty }
        var windows: [String: [(Int64, Int64)]] = [:]
        var open: [String: Int64] = [:]
        for line in directives {
            guard let value = try? JSONParser().parse(Array(line.utf8), file: ""), case .object(let m) = value else { continue }
            func s(_ k: String) -> String? { m.first { $0.key == k }.flatMap { if case .string(let v) = $0.value { v } else { nil } } }
            guard let v = s("vehicle_id"), let kind = s("kind"), let at = s("effective_at").flatMap(Timestamp.init(iso8601:)) else { continue }
            if kind == "data.drop.begin" { open[v] = at.millisecondsSinceEpoch }
            if kind == "data.drop.end", let b = open.removeValue(forKey: v) { windows[v, default: []].append((b, at.millisecondsSinceEpoch)) }
        }
        for (v, b) in open { windows[v, default: []].append((b, .max)) }
        #expect(!windows.isEmpty)
        for row in output.dropFirst() {
            let fields = row.split(separator: ",")
            guard let time = Timestamp(iso8601: String(fields[1])) else { continue }
            let inside = windows[String(fields[0])]?.contains { time.millisecondsSinceEpoch >= $0.0 && time.millisecondsSinceEpoch < $0.1 } ?? false
            #expect(!inside, "kept row inside a drop window: \(row)")
        }
    }

    static func sameExceptPosition(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ",", omittingEmptySubsequences: false), y = b.split(separator: ",", omittingEmptySubsequences: false)
        guard x.count == y.count else { return false }
        return x.indices.allSatisfy { $0 == 2 || $0 == 3 || x[$0] == y[$0] } && (x[2] != y[2] || x[3] != y[3])
    }

    @Test func malformedRowsAreReportedWithFileAndLineCountedAndSkipped() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        var text = "vehicle_id,timestamp,lat,lon\n"
        text += "V1,2026-03-02T08:00:00Z,39.9,116.3764\n"  // 2
        text += "V1,yesterday,39.9,116.3764\n"  // 3: bad timestamp
        text += "V1,2026-03-02T08:00:02Z,north,116.3764\n"  // 4: not a number
        text += "V1,2026-03-02T08:00:03Z,95,116.3764\n"  // 5: out of range
        text += "V1,2026-03-02T08:00:04Z,nan,116.3764\n"  // 6: not finite
        text += "V1,2026-03-02T08:00:05Z\n"  // 7: too few fields
        text += ",2026-03-02T08:00:06Z,39.9,116.3764\n"  // 8: no vehicle
        text += "\n"  // 9: blank, not a row
        text += "V1,1772438407,39.9001,116.3764\n"  // 10: epoch seconds
        text += "V1,1772438408000,39.9002,116.3764\n"  // 11: epoch milliseconds
        text += "V1,1772438408000,39.9003,116.3764\n"  // 12: the same time again: the engine rejects it
        let trip = Self.write(text, "bad.csv", in: dir)
        let out = dir.appendingPathComponent("out")
        let report = try Self.replay([trip], out: out)
        #expect(report.issues.first.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(report.issues.first.allSatisfy { $0.file == trip })
        #expect(report.issues.first[0].message.contains("timestamp"))
        let t = report.totals
        #expect(t.rowsIn == 10)
        #expect(t.rejected == 7)
        #expect(t.kept == 3)
        #expect(t.rowsIn == t.kept + t.dropped + t.rejected)
        let output = Self.lines(out.appendingPathComponent("bad.redacted.csv"))
        #expect(output.contains("V1,1772438407,39.9001,116.3764"))
        #expect(!output.contains { $0.contains("yesterday") || $0.contains(",95,") || $0.contains("39.9003") })
        #expect(Self.lines(out.appendingPathComponent("directives.ndjson")).contains { $0.contains("\"reason\":\"duplicate\"") })

        // Strict: stops at the first, names it, and leaves no output behind.
        var strict = ReplayOptions()
        strict.strict = true
        let strictOut = dir.appendingPathComponent("strict")
        #expect(throws: ReplayError.malformedRow(RowIssue(file: trip, line: 3, message: report.issues.first[0].message))) {
            try Self.replay([trip], options: strict, out: strictOut)
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: strictOut.path)) ?? []
        #expect(left.isEmpty, "files left by a failed replay: \(left)")
    }

    /// The redaction pass reads CSV rows for their vehicle, time and position only; a row whose
    /// other fields are what makes it unusable must still be rejected there, as the first pass
    /// found, in every input of several.
    @Test func rowsUnusableForTheirOtherFieldsAreRejectedInTheRedactedCopy() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        var text = "vehicle_id,timestamp,lat,lon,accuracy,speed,heading\n"
        text += "V1,2026-03-02T08:00:00Z,39.9,116.3764,5,1,90\n"
        text += "V1,2026-03-02T08:00:01Z,39.9,116.3765,5,fast,90\n"  // not a number
        text += "V1,2026-03-02T08:00:02Z,39.9,116.3766,5,-2,90\n"  // negative speed
        text += "V1,2026-03-02T08:00:03Z,39.9,116.3767,-1,1,90\n"  // negative accuracy
        text += "V1,2026-03-02T08:00:04Z,39.9,116.3768,5,1,inf\n"  // heading not finite
        text += "V1,2026-03-02T08:00:05Z,39.9,116.3769,5,1,90\n"
        let first = Self.write(text, "first.csv", in: dir)
        let second = Self.write(text.replacingOccurrences(of: "08:00:", with: "08:01:"), "second.csv", in: dir)
        let out = dir.appendingPathComponent("out")
        let report = try Self.replay([first, second], out: out)
        #expect(report.issues.first.map(\.line) == [3, 4, 5, 6, 3, 4, 5, 6])
        #expect(report.issues.first.first?.message == "speed \"fast\" is not a number")
        #expect(report.totals.rejected == 8 && report.totals.kept == 4)
        for name in ["first", "second"] {
            let output = Self.lines(out.appendingPathComponent("\(name).redacted.csv")).filter { !$0.isEmpty }
            #expect(output.count == 3, "\(name): \(output)")
            #expect(!output.contains { $0.contains("fast") || $0.contains(",-") || $0.contains("inf") }, "\(name): \(output)")
        }

        // NDJSON, the same rule: a null or absent number is no value, text that is no number
        // refuses the row, named by field and line.
        var json = #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:00Z","lat":39.9,"lon":116.3764,"speed":null}"# + "\n"
        json += #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:01Z","lat":39.9,"lon":116.3765,"accuracy":"x"}"# + "\n"
        json += #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:02Z","lat":39.9,"lon":116.3766,"speed":1,"heading":"east"}"# + "\n"
        json += #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:03Z","lat":39.9,"lon":116.3767,"speed":1.5,"heading":90}"# + "\n"
        // A member given twice (letter case aside) is a guess, refused; a less preferred name of
        // the same role gives way to the preferred one, wherever it stands.
        json += #"{"vehicle_id":"V1","vehicle_id":"V2","timestamp":"2026-03-02T08:00:04Z","lat":39.9,"lon":116.3768}"# + "\n"
        json += #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:05Z","LAT":39.9,"lat":40,"lon":116.3769}"# + "\n"
        json += #"{"vehicle_id":"V1","timestamp":"2026-03-02T08:00:06Z","latitude":95,"lat":39.9,"lon":116.377}"# + "\n"
        let ndjson = Self.write(json, "trip.ndjson", in: dir)
        let ndReport = try Self.replay([ndjson], out: dir.appendingPathComponent("out-ndjson"))
        #expect(ndReport.issues.first.map(\.line) == [2, 3, 5, 6])
        #expect(
            ndReport.issues.first.map(\.message) == [
                "accuracy \"x\" is not a number", "heading \"east\" is not a number", "member \"vehicle_id\" is given twice",
                "member \"lat\" is given twice",
            ])
        #expect(ndReport.totals.rejected == 4 && ndReport.totals.kept == 3)
        #expect(ndReport.vehicles.keys.sorted() == ["V1"])
    }

    /// A plain file is read in place from a mapping (`ByteSource`, mapped windows that grow for
    /// a row longer than a block and end without a line feed); a gzip file through buffers. The
    /// same bytes must give the same directives, redacted copy and issue lines either way, on
    /// one thread and on two, with rows longer than a block among them.
    @Test func aMappedFileReadsAsTheSameBytesRead() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        var text = ""
        var line = 1
        var badLines: [Int] = []
        for (k, row) in Self.csv(Self.fleet(copies: 8)).split(separator: "\n").enumerated() {
            var written = row + "\n"
            if k > 0 && k % 500 == 250 {
                // A note of 150 KB with line breaks: longer than a block of 64 KiB.
                let fields = row.split(separator: ",", maxSplits: 6).map(String.init)
                let note = "\"" + String(repeating: "long note, \n", count: 12_000) + "\""
                written = fields.prefix(6).joined(separator: ",") + "," + note + "\n"
            }
            if k > 0 && k % 333 == 100 {
                badLines.append(line)
                written = "V1-0,not a time,39.9,116.4,1,1,x\n"
            }
            text += written
            line += written.utf8.filter { $0 == 10 }.count
        }
        text.removeLast()  // the last row ends without a line feed
        let plain = Self.write(text, "fleet.csv", in: dir)
        let gzDir = dir.appendingPathComponent("gz")
        try FileManager.default.createDirectory(at: gzDir, withIntermediateDirectories: true)
        let packed = Self.write(text, "fleet.csv", in: gzDir)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-f", packed]
        try gzip.run()
        gzip.waitUntilExit()
        var outputs: [[String]] = []
        for (k, input) in [plain, plain, packed + ".gz", packed + ".gz"].enumerated() {
            var options = ReplayOptions()
            options.threads = k % 2 + 1
            options.blockBytes = 64 << 10
            let out = dir.appendingPathComponent("out\(k)")
            let report = try Self.replay([input], options: options, out: out)
            #expect(report.issues.first.map(\.line) == badLines, "\(input), \(options.threads) threads")
            #expect(report.totals.rowsIn == Self.fleet(copies: 8).count)
            outputs.append(["directives.ndjson", "fleet.redacted.csv"].flatMap { Self.lines(out.appendingPathComponent($0)) })
        }
        #expect(badLines.count > 3 && outputs[0].count > 100)
        for k in 1..<outputs.count { #expect(outputs[k] == outputs[0], "output \(k)") }
    }

    @Test func ndjsonGzipAndGPXGiveTheSameDirectivesAsCSV() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let csvOut = dir.appendingPathComponent("csv")
        _ = try Self.replay([Self.write(Self.csv(Self.fixes), "trip.csv", in: dir)], out: csvOut)
        let reference = Self.lines(csvOut.appendingPathComponent("directives.ndjson"))

        let ndOut = dir.appendingPathComponent("nd")
        let nd = Self.write(Self.ndjson(Self.fixes), "trip.ndjson", in: dir)
        let ndReport = try Self.replay([nd], out: ndOut)
        #expect(Self.lines(ndOut.appendingPathComponent("directives.ndjson")) == reference)
        // Redacted NDJSON: kept lines unchanged.
        let ndLines = Set(Self.ndjson(Self.fixes).split(separator: "\n").map(String.init))
        let ndKept = Self.lines(ndOut.appendingPathComponent("trip.redacted.ndjson")).filter { !$0.isEmpty }
        #expect(ndKept.count == ndReport.totals.kept)
        #expect(ndKept.filter { ndLines.contains($0) }.count == ndReport.totals.kept - ndReport.totals.coarsened)

        // gzip: the same bytes compressed; the redacted copy is plain.
        let gz = Self.write(Self.csv(Self.fixes), "fleet.csv", in: dir)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-f", gz]
        try gzip.run()
        gzip.waitUntilExit()
        let gzOut = dir.appendingPathComponent("gz")
        _ = try Self.replay([gz + ".gz"], out: gzOut)
        #expect(Self.lines(gzOut.appendingPathComponent("directives.ndjson")) == reference)
        #expect(FileManager.default.fileExists(atPath: gzOut.appendingPathComponent("fleet.redacted.csv").path))

        // GPX: one track per vehicle, named FILE/TRACK.
        let v1 = Self.fixes.filter { $0.vehicle == "V1" }
        let gpxPath = Self.write(Self.gpx(v1, name: "V1"), "drive.gpx", in: dir)
        let gpxOut = dir.appendingPathComponent("gpx")
        let gpxReport = try Self.replay([gpxPath], out: gpxOut)
        let expected = Self.engineDirectives(v1.map { var f = $0; f.vehicle = "drive/V1"; return f })
        #expect(Self.lines(gpxOut.appendingPathComponent("directives.ndjson")).filter { !$0.isEmpty } == expected)
        let redacted = (try? String(contentsOf: gpxOut.appendingPathComponent("drive.redacted.gpx"), encoding: .utf8)) ?? ""
        #expect(redacted.components(separatedBy: "<trkpt").count - 1 == gpxReport.totals.kept)
        #expect(redacted.hasSuffix("</trkseg>\n  </trk>\n</gpx>\n"))
        #expect(gpxReport.totals.dropped > 0)
    }

    @Test func inputOutOfTimeOrderIsSortedWithSpillsAndGivesTheSameResult() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let ordered = dir.appendingPathComponent("ordered")
        let reference = try Self.replay([Self.write(Self.csv(Self.fixes), "trip.csv", in: dir)], out: ordered)
        // Each vehicle's fixes in reverse, vehicles grouped.
        let shuffled = ["V3", "V1", "V2"].flatMap { v in Self.fixes.filter { $0.vehicle == v }.reversed() }
        var options = ReplayOptions()
        options.sortMemoryBytes = 1  // a run per 1,024 records: forces the merge
        let sortedOut = dir.appendingPathComponent("sorted")
        let report = try Self.replay([Self.write(Self.csv(shuffled), "shuffled.csv", in: dir)], options: options, out: sortedOut)
        #expect(!report.ordered)
        #expect(Self.lines(sortedOut.appendingPathComponent("directives.ndjson")) == Self.lines(ordered.appendingPathComponent("directives.ndjson")))
        #expect(report.totals.kept == reference.totals.kept && report.totals.dropped == reference.totals.dropped)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: sortedOut.path))?.filter { $0.hasPrefix(".") } ?? []
        #expect(left.isEmpty, "temporary files left: \(left)")
    }

    /// Every directive is kept as its line in bounded memory (a rejected fix gets one, so a log
    /// of duplicates has one per row; the state changes theirs), spilled to temporary files and
    /// merged back in vehicle and sequence order, giving exactly the engine API's directives
    /// whatever the thread count.
    @Test func directivesSpillAndMergeBackInOrder() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        var fixes: [Fix] = []
        var repeats = 0
        for (k, f) in Self.fixes.enumerated() {
            fixes.append(f)
            if k % 2 == 0 { fixes.append(f); repeats += 1 }
            if k % 7 == 0 { fixes.append(f); repeats += 1 }
        }
        let trip = Self.write(Self.csv(fixes), "dups.csv", in: dir)
        let expected = Self.engineDirectives(fixes)
        #expect(expected.filter { $0.contains("\"kind\":\"fix.rejected\"") }.count == repeats)
        #expect(expected.contains { $0.contains("\"kind\":\"data.drop.begin\"") } && expected.contains { $0.contains("\"kind\":\"data.drop.end\"") })
        for (threads, memory) in [(1, 1 << 24), (1, 1), (2, 1), (3, 1)] {
            var options = ReplayOptions()
            options.threads = threads
            options.blockBytes = 64 << 10
            options.rejectedMemoryBytes = memory  // 1: the 4 KiB floor, a file write every few directives
            let out = dir.appendingPathComponent("t\(threads)-\(memory)")
            let report = try Self.replay([trip], options: options, out: out)
            #expect(Self.lines(out.appendingPathComponent("directives.ndjson")).filter { !$0.isEmpty } == expected)
            #expect(report.totals.rejected == repeats)
            #expect(report.vehicles.values.reduce(0) { $0 + $1.directives } == expected.count)
            let hidden = (try? FileManager.default.contentsOfDirectory(atPath: out.path))?.filter { $0.hasPrefix(".") } ?? []
            #expect(hidden.isEmpty, "temporary files left: \(hidden)")
        }
    }

    @Test func outputDoesNotDependOnTheThreadCount() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        // Enough rows for several blocks and both halves of each.
        let many = Self.fleet(copies: 20)
        // A column of notes the CSV rules make hard to cut between rows: line breaks and commas
        // in quoted fields, doubled quotes, a quote inside an unquoted field (data), bytes after
        // a closing quote (skipped, quotes among them too), CRLF line ends.
        let notes = ["\"multi\nline, with a comma\"", "a\"b", "\"say \"\"hi\"\"\"", "\"x\"junk \"more", "", "\"\n\n\""]
        // Every 97th row has a latitude out of range: the issue log must name its line (the
        // notes' line breaks make rows span several lines) whatever the thread count.
        var text = ""
        var line = 1
        var badLines: [Int] = []
        for (k, row) in Self.csv(many).split(separator: "\n").enumerated() {
            var fields = row.split(separator: ",", maxSplits: 3).map(String.init)
            if k % 97 == 40 {
                fields[2] = "95.5"
                badLines.append(line)
            }
            let written = k == 0 ? row + ",note\n" : fields.joined(separator: ",") + "," + notes[k % notes.count] + (k % 7 == 0 ? "\r\n" : "\n")
            text += written
            line += written.utf8.filter { $0 == 10 }.count
        }
        let trip = Self.write(text, "fleet.csv", in: dir)
        var outputs: [[String]] = []
        for threads in [1, 2, 3] {
            var options = ReplayOptions()
            options.threads = threads
            options.blockBytes = 64 << 10
            let out = dir.appendingPathComponent("t\(threads)")
            let report = try Self.replay([trip], options: options, out: out)
            #expect(report.issues.count == badLines.count && report.issues.first.map(\.line) == badLines, "\(threads) threads")
            outputs.append(["directives.ndjson", "fleet.redacted.csv", "report.json", "map.svg"].flatMap { Self.lines(out.appendingPathComponent($0)) })
            let hidden = (try? FileManager.default.contentsOfDirectory(atPath: out.path))?.filter { $0.hasPrefix(".") } ?? []
            #expect(hidden.isEmpty)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
        // Every row was read as one row: the notes' line breaks did not cut any.
        let report = try Self.replay([trip], out: dir.appendingPathComponent("t"))
        #expect(report.totals.rowsIn == many.count && report.issues.count == badLines.count && badLines.count > 10)
    }

    /// The passes map each row's scan key (`TripRow.idKey`: which scanning thread's id cache,
    /// and the slot there) to their own slots, learnt from the key's first row. Keys hold for
    /// one input only: two inputs of over 2,048 vehicles each, none shared, put other ids
    /// under the first input's keys, so keys kept from one input to the next would give rows
    /// to the wrong vehicles. The outputs must be those of one thread (which reads no keys).
    @Test func scanKeysDoNotOutliveTheirInput() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let track = Self.fixes.filter { $0.vehicle == "V1" }
        func file(_ prefix: String) -> String {
            var fixes: [Fix] = []
            for s in [100, 130, 140, 150, 160, 200] {
                for v in 0..<2_200 {
                    var f = track[s]
                    f.vehicle = "\(prefix)\(v)"
                    fixes.append(f)
                }
            }
            return Self.write(Self.csv(fixes), "\(prefix).csv", in: dir)
        }
        let inputs = [file("A"), file("B")]
        var outputs: [[String]] = []
        for threads in [1, 2] {
            var options = ReplayOptions()
            options.threads = threads
            options.blockBytes = 64 << 10
            let out = dir.appendingPathComponent("t\(threads)")
            let report = try Self.replay(inputs, options: options, out: out)
            #expect(report.vehicles.count == 4_400)
            outputs.append(["directives.ndjson", "report.json", "A.redacted.csv", "B.redacted.csv"].flatMap { Self.lines(out.appendingPathComponent($0)) })
        }
        #expect(outputs[0].count > 10_000)
        #expect(outputs[0] == outputs[1])
    }

    /// The report's figures from the directives (kept per vehicle while evaluating, not as the
    /// directives themselves): each vehicle's directive count and zones touched, each category's
    /// zones, vehicles and enters (one per entering fix and category) must be what the written
    /// directives say, on one thread and on two.
    @Test func reportFiguresAreWhatTheDirectivesSay() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let trip = Self.write(Self.csv(Self.fleet(copies: 6)), "fleet.csv", in: dir)
        for threads in [1, 2] {
            var options = ReplayOptions()
            options.threads = threads
            let out = dir.appendingPathComponent("t\(threads)")
            let report = try Self.replay([trip], options: options, out: out)
            var count: [String: Int] = [:], zones: [String: Set<String>] = [:]
            var categoryZones: [String: Set<String>] = [:], categoryVehicles: [String: Set<String>] = [:], enters: [String: Int] = [:]
            var lastEnter: [String: String] = [:]
            for line in Self.lines(out.appendingPathComponent("directives.ndjson")) where !line.isEmpty {
                guard let value = try? JSONParser().parse(Array(line.utf8), file: ""), case .object(let m) = value else { continue }
                func member(_ k: String) -> JSONValue? { m.first { $0.key == k }?.value }
                func strings(_ k: String) -> [String] {
                    guard case .array(let items)? = member(k) else { return [] }
                    return items.compactMap { if case .string(let v) = $0 { v } else { nil } }
                }
                guard case .string(let v)? = member("vehicle_id"), case .string(let kind)? = member("kind"),
                    case .string(let reason)? = member("reason"), case .string(let time)? = member("time")
                else { continue }
                count[v, default: 0] += 1
                guard kind != "fix.rejected" else { continue }
                zones[v, default: []].formUnion(strings("zone_ids"))
                let enter = reason == "enter" && lastEnter[v] != time
                if enter { lastEnter[v] = time }
                for c in strings("categories") {
                    categoryZones[c, default: []].formUnion(strings("zone_ids"))
                    categoryVehicles[c, default: []].insert(v)
                    if enter { enters[c, default: 0] += 1 }
                }
            }
            #expect(!categoryZones.isEmpty && enters.values.reduce(0, +) > 6)
            for (v, figures) in report.vehicles {
                #expect(figures.directives == count[v] ?? 0, "\(v)")
                #expect(figures.zonesTouched == (zones[v] ?? []).sorted(by: naturalIDOrder), "\(v)")
            }
            for (c, figures) in report.categories where categoryZones[c.rawValue] != nil {
                #expect(figures.zones == categoryZones[c.rawValue], "\(c)")
                #expect(figures.vehicles == categoryVehicles[c.rawValue], "\(c)")
                #expect(figures.enters == enters[c.rawValue] ?? 0, "\(c)")
            }
            #expect(Set(report.categories.keys.map(\.rawValue)).isSuperset(of: categoryZones.keys))
        }
    }

    /// Ids are compared as Swift strings are (canonical equivalence), on every thread: a vehicle
    /// whose id is spelled two ways (é as one scalar or as e + combining acute) is one vehicle,
    /// whichever worker its rows would go to by their bytes. (The build before 2026-11-21 picked
    /// the worker by a hash of each row's bytes and split such a vehicle in two with 3 threads.)
    @Test func canonicallyEqualSpellingsOfAnIdAreOneVehicle() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        var one: [Fix] = [], mixed: [Fix] = []
        for copy in 0..<4 {
            for (k, f) in Self.fixes.enumerated() where f.vehicle == "V1" {
                var g = f
                g.vehicle = "car-\u{e9}-\(copy)"
                one.append(g)
                if k % 2 == 1 { g.vehicle = "car-e\u{301}-\(copy)" }
                mixed.append(g)
            }
        }
        var results: [[String]] = []
        for (name, fixes) in [("one", one), ("mixed", mixed)] {
            let trip = Self.write(Self.csv(fixes), "\(name).csv", in: dir)
            var options = ReplayOptions()
            options.threads = 3  // the two spellings' bytes differ modulo 3 (FNV-1a keeps their parity)
            let out = dir.appendingPathComponent(name)
            let report = try Self.replay([trip], options: options, out: out)
            #expect(report.vehicles.count == 4)
            results.append(Self.lines(out.appendingPathComponent("directives.ndjson")))
        }
        #expect(!results[0].isEmpty && results[0] == results[1])
    }

    @Test func columnsMapOtherNames() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let text = Self.csv(Self.fixes).replacingOccurrences(of: "vehicle_id,timestamp,lat,lon", with: "car,ts_utc,y,x")
        let trip = Self.write(text, "trip.csv", in: dir)
        #expect(throws: ReplayError.self) { try Self.replay([trip], out: dir.appendingPathComponent("a")) }
        var options = ReplayOptions()
        options.columns = try ColumnNames(mapping: "vehicle_id=car,timestamp=ts_utc,lat=y,lon=x")
        let report = try Self.replay([trip], options: options, out: dir.appendingPathComponent("b"))
        #expect(report.totals.rowsIn == Self.fixes.count && report.totals.rejected == 0)

        // A mapped name wins over a default name, wherever the default's column stands: a
        // "timestamp" column of garbage before the real times in "time_utc".
        let both = Self.csv(Self.fixes).split(separator: "\n").enumerated().map { k, line in
            k == 0 ? "timestamp," + line.replacingOccurrences(of: ",timestamp,", with: ",time_utc,") : "garbage," + line
        }.joined(separator: "\n") + "\n"
        let second = Self.write(both, "both.csv", in: dir)
        let unmapped = try Self.replay([second], out: dir.appendingPathComponent("c0"))
        #expect(unmapped.totals.rejected == Self.fixes.count)
        var mapped = ReplayOptions()
        mapped.columns = try ColumnNames(mapping: "timestamp=time_utc")
        let preferred = try Self.replay([second], options: mapped, out: dir.appendingPathComponent("c"))
        #expect(preferred.totals.rejected == 0)
        #expect(Self.lines(dir.appendingPathComponent("c/directives.ndjson")) == Self.lines(dir.appendingPathComponent("b/directives.ndjson")))

        // The same name twice is refused with both columns named, not read from either.
        let twice = Self.write("vehicle_id,timestamp,lat,lon,LAT\nV1,2026-03-02T00:00:00Z,39.9,116.4,0\n", "twice.csv", in: dir)
        #expect {
            try Self.replay([twice], out: dir.appendingPathComponent("d"))
        } throws: { error in
            "\(error)".contains("the header names \"LAT\" for lat twice (columns 3 and 5)")
        }
    }

    /// Hand-made CSV puts a space after each comma: times and numbers read as themselves (the
    /// same directives and counts as the plain file), a coarsened row's lat and lon are
    /// rewritten in place with the spaces around them kept, and a file separated by semicolons
    /// is refused with what to do.
    @Test func spacesAroundValuesAndOtherSeparators() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let plain = Self.write(Self.csv(Self.fixes), "plain.csv", in: dir)
        let spaced = Self.csv(Self.fixes).split(separator: "\n").map { line in
            // Every field but the vehicle id and the quoted note, spaced and tabbed around.
            var fields = line.split(separator: ",", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
            for k in 1..<6 { fields[k] = " " + fields[k] + (k % 2 == 0 ? "\t" : "  ") }
            return fields.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        let spacedTrip = Self.write(spaced, "spaced.csv", in: dir)
        let a = try Self.replay([plain], out: dir.appendingPathComponent("a"))
        let b = try Self.replay([spacedTrip], out: dir.appendingPathComponent("b"))
        #expect(b.totals == a.totals && b.totals.rejected == 0 && b.totals.coarsened > 0)
        #expect(Self.lines(dir.appendingPathComponent("b/directives.ndjson")) == Self.lines(dir.appendingPathComponent("a/directives.ndjson")))
        // Coarsened rows: the spaced copy's rows are the plain copy's with the same spaces.
        let plainRows = Self.lines(dir.appendingPathComponent("a/plain.redacted.csv"))
        let spacedRows = Self.lines(dir.appendingPathComponent("b/spaced.redacted.csv"))
        #expect(plainRows.count == spacedRows.count)
        for (p, q) in zip(plainRows, spacedRows) where !p.isEmpty {
            let fields = q.split(separator: ",", maxSplits: 6, omittingEmptySubsequences: false).enumerated().map { k, f in
                k >= 1 && k < 6 ? f.trimmingCharacters(in: .whitespaces) : String(f)
            }
            #expect(fields.joined(separator: ",") == p)
        }

        let semicolons = Self.write("vehicle_id;timestamp;lat;lon\nV1;2026-03-02T00:00:00Z;39,9;116,4\n", "semi.csv", in: dir)
        #expect {
            try Self.replay([semicolons], out: dir.appendingPathComponent("c"))
        } throws: { error in
            "\(error)".contains("(fields are separated by commas, not \";\")")
        }
    }

    /// Vehicle ids follow the HTTP routes' rule (1 to 128 bytes of UTF-8, no control
    /// characters) and times must lie in 1970–2199, in CSV and NDJSON alike: such rows are
    /// reported with their line and counted under no vehicle (a 2 MB id or bytes that are not
    /// UTF-8 used to become "vehicles" of the report, and two ids differing only in invalid
    /// bytes one vehicle; a year-1 epoch made 2,000 years of suppression).
    @Test func badVehicleIdsAndImplausibleTimesAreRefused() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let good = "京A·12345"  // a plate number: UTF-8, 11 bytes
        let csvRows: [(id: [UInt8], time: String)] = [
            (Array(good.utf8), "2026-03-02T00:00:00Z"),
            (Array("V\u{0}1".utf8), "2026-03-02T00:00:01Z"),
            (Array("V".utf8) + [0xFF, 0xFE], "2026-03-02T00:00:02Z"),
            (Array("V\u{85}".utf8), "2026-03-02T00:00:03Z"),  // NEL, a C1 control
            (Array(String(repeating: "x", count: 129).utf8), "2026-03-02T00:00:04Z"),
            (Array(String(repeating: "y", count: 128).utf8), "2026-03-02T00:00:05Z"),
            (Array(good.utf8), "-62135596800"),
            (Array(good.utf8), "0001-01-01T00:00:00Z"),
            (Array(good.utf8), "7258118400"),  // 2200-01-01 in epoch seconds
            (Array(good.utf8), "2026-03-02T00:00:06Z"),
        ]
        var csv = Array("vehicle_id,timestamp,lat,lon\n".utf8)
        for r in csvRows { csv += r.id + Array(",\(r.time),45,100\n".utf8) }
        let csvPath = dir.appendingPathComponent("ids.csv").path
        _ = FileManager.default.createFile(atPath: csvPath, contents: Data(csv))
        var ndjson = ""
        for (id, time) in [(good, "2026-03-02T00:00:00Z"), ("V\\u00001", "2026-03-02T00:00:01Z"), (good, "1969-12-31T23:59:59Z"), (good, "2026-03-02T00:00:02Z")] {
            ndjson += "{\"vehicle_id\":\"\(id)\",\"timestamp\":\"\(time)\",\"lat\":45,\"lon\":100}\n"
        }
        let ndjsonPath = Self.write(ndjson, "ids.ndjson", in: dir)
        for (path, rows, rejected, vehicles) in [(csvPath, 10, 7, [good, String(repeating: "y", count: 128)]), (ndjsonPath, 4, 2, [good])] {
            let report = try Self.replay([path], out: dir.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent + ".out"))
            #expect(report.totals.rowsIn == rows && report.totals.rejected == rejected, "\(path)")
            #expect(report.vehicles.keys.sorted() == vehicles.sorted(), "\(path)")
            let messages = report.issues.first.map(\.message)
            #expect(messages.allSatisfy { !$0.contains("\u{0}") && !$0.contains("\n") }, "\(messages)")
            if path == csvPath {
                #expect(messages == [
                    "vehicle_id \"V\\u{0}1\" contains a control character",
                    "vehicle_id \"V\u{FFFD}\u{FFFD}\" is not valid UTF-8",
                    "vehicle_id \"V\\u{85}\" contains a control character",
                    "vehicle_id \"\(String(repeating: "x", count: 40))…\" has 129 bytes (at most 128)",
                    "timestamp \"-62135596800\" is outside the years 1970 to 2199",
                    "timestamp \"0001-01-01T00:00:00Z\" is outside the years 1970 to 2199",
                    "timestamp \"7258118400\" is outside the years 1970 to 2199",
                ])
            }
        }
    }

    /// A GPX track is the vehicle `FILE/TRACK`, held to the same id rule: control characters
    /// in the name become spaces, and a name too long keeps what fits and ends in `…#N`, so
    /// two long names that share their start stay two vehicles.
    /// A GPX point that says a thing twice (an attribute, which is not well-formed XML, or
    /// `<time>`, `<speed>`, `<course>`) is refused with its line: which one to read would be a
    /// guess. Spaces around values are not part of them.
    @Test func gpxPointsThatSayAThingTwiceAreRefused() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let text = """
            <?xml version="1.0"?>
            <gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
            <trkpt lat="39.9" lat="10" lon="116.4"><time>2026-03-02T00:00:00Z</time></trkpt>
            <trkpt lat="39.9" lon="116.4"><time>2026-03-02T00:00:01Z</time><time>2026-03-02T00:00:09Z</time></trkpt>
            <trkpt lat="39.9" lon="116.4"><time>2026-03-02T00:00:02Z</time><extensions><speed>1</speed><speed>2</speed></extensions></trkpt>
            <trkpt lat=" 39.9 " lon="116.4" lon2="x"><time> 2026-03-02T00:00:03Z </time><speed> 3 </speed></trkpt>
            </trkseg></trk></gpx>

            """
        let report = try Self.replay([Self.write(text, "twice.gpx", in: dir)], out: dir.appendingPathComponent("out"))
        #expect(report.issues.first.map(\.line) == [3, 4, 5])
        #expect(
            report.issues.first.map(\.message) == [
                "<trkpt> gives attribute lat twice", "<trkpt> has more than one <time>", "<trkpt> has more than one <speed>",
            ])
        #expect(report.totals.rejected == 3 && report.totals.kept == 1)
    }

    @Test func gpxTrackNamesMakeValidVehicleIds() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let fix = [Self.fixes[0]]
        let long = String(repeating: "N", count: 150)
        let tracks = [Self.gpx(fix, name: "Morning\n\tdrive"), Self.gpx(fix, name: long + "A"), Self.gpx(fix, name: long + "B")].map { text in
            text.components(separatedBy: "<trk>")[1].components(separatedBy: "</trk>")[0]
        }
        let text = "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
            + tracks.map { "<trk>\($0)</trk>\n" }.joined() + "</gpx>\n"
        let report = try Self.replay([Self.write(text, "log.gpx", in: dir)], out: dir.appendingPathComponent("out"))
        let ids = report.vehicles.keys.sorted()
        #expect(ids.count == 3 && report.totals.rejected == 0)
        #expect(ids.contains("log/Morning  drive"))
        #expect(ids.allSatisfy { VehicleID.problem($0) == nil }, "\(ids)")
        #expect(ids.filter { $0.hasSuffix("…#2") || $0.hasSuffix("…#3") }.count == 2)
    }

    @Test func severalInputsAreOneStreamAndEachIsCountedAndRedacted() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let first = Self.fixes.filter { $0.time < Self.start + 180_000 }, rest = Self.fixes.filter { $0.time >= Self.start + 180_000 }
        let a = Self.write(Self.csv(first), "a.csv", in: dir), b = Self.write(Self.ndjson(rest), "b.ndjson", in: dir)
        let out = dir.appendingPathComponent("out")
        let report = try Self.replay([a, b], out: out)
        // The vehicles continue from one file into the next: the same directives as one file.
        #expect(Self.lines(out.appendingPathComponent("directives.ndjson")).filter { !$0.isEmpty } == Self.engineDirectives(Self.fixes))
        #expect(report.files.map(\.counts.rowsIn) == [first.count, rest.count])
        #expect(report.files.map(\.redacted) == ["a.redacted.csv", "b.redacted.ndjson"])
        #expect(Self.lines(out.appendingPathComponent("b.redacted.ndjson")).filter { !$0.isEmpty }.count == report.files[1].counts.kept)
    }

    @Test func theMapDrawsZonesTracksLegendAndScale() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let out = dir.appendingPathComponent("out")
        _ = try Self.replay([Self.write(Self.csv(Self.fixes), "trip.csv", in: dir)], out: out)
        let svg = (try? String(contentsOf: out.appendingPathComponent("map.svg"), encoding: .utf8)) ?? ""
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        for part in ["<g class=\"a\"", "<g class=\"c\"", "<path class=\"k\"", "<path class=\"d\"", "<path class=\"o\"", "zone (core)", "approach buffer", "suppressed: dropped"] {
            #expect(svg.contains(part), "map.svg lacks \(part)")
        }
        #expect(svg.contains(" km</text>") || svg.contains(" m</text>"), "no scale bar label")
        // bj-00045 and bj-00220 lie on the tracks and are drawn; far zones are not.
        #expect(svg.components(separatedBy: "<path d=").count - 1 < Self.zoneSet.entries.count * 2)
        // Thinned: far fewer track points than fixes.
        #expect(svg.utf8.count < 200_000)
    }

    /// A track across the antimeridian (near Fiji, eastward from 179.995° to -179.99°) is drawn
    /// as one short line on a map a few kilometres wide, not as a line across the world.
    @Test func aTrackAcrossTheAntimeridianStaysOnAFewKilometreMap() throws {
        let dir = Fixtures.temporaryDirectory("replay")
        let out = dir.appendingPathComponent("out")
        let m = WGS84.authalicRadius * .pi / 180 * cos(17.0 * .pi / 180)
        let fixes = (0..<180).map { s in
            var lon = 179.995 + Double(s) * 10 / m
            if lon > 180 { lon -= 360 }
            return Fix(vehicle: "F1", time: Self.start + Int64(s) * 1000, lat: -17, lon: lon, speed: 10, heading: 90)
        }
        #expect(fixes.contains { $0.lon < 0 } && fixes.contains { $0.lon > 0 })
        _ = try Self.replay([Self.write(Self.csv(fixes), "fiji.csv", in: dir)], out: out)
        let svg = (try? String(contentsOf: out.appendingPathComponent("map.svg"), encoding: .utf8)) ?? ""
        // The scale bar measures metres or a few kilometres (a world map's would be thousands).
        let label = svg.components(separatedBy: "<text x=\"20\"").last ?? ""
        #expect(label.contains(" m</text>") || label.contains(">1 km</text>") || label.contains(">2 km</text>"), "\(label)")
        // The track's points advance in small steps from left to right.
        let track = svg.components(separatedBy: "<path class=\"k\" d=\"M").dropFirst().first?.prefix { $0 != "\"" } ?? ""
        let xs = track.split(separator: " ").compactMap { Double($0.split(separator: ",").first ?? "") }
        #expect(xs.count > 10)
        #expect(zip(xs, xs.dropFirst()).allSatisfy { $1 - $0 >= 0 && $1 - $0 < 60 }, "\(xs)")
    }
}
