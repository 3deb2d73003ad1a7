import CordonTestSupport
import Foundation
import Testing

@testable import CordonReplay

/// The second pass reads a mapped input's rows from the first pass's log (`RowLog`) on more
/// than one thread, and scans the input again on one: both must write the same bytes, count
/// the same rows and draw the same map, whatever the rows hold.
@Suite struct RowLogTests {
    /// A fleet log with every kind of row the second pass treats apart: dropped (V1) and
    /// coarsened (V2) rows, kept ones, rows refused for their values and for their time (a
    /// repeat), a row without a vehicle id, blank lines, CRLF line ends, and notes with quotes,
    /// commas and line breaks (so that a coarsened row may span lines).
    static func text() -> (csv: String, ndjson: String) {
        let notes = ["plain", "\"multi\nline, with a comma\"", "\"say \"\"hi\"\"\"", ""]
        var csv = "vehicle_id,timestamp,lat,lon,speed,heading,note\n"
        var ndjson = ""
        for (k, f) in ReplayTests.fleet(copies: 3).enumerated() {
            var lat = "\(f.lat)"
            if k % 101 == 7 { lat = "95.5" }
            let vehicle = k % 211 == 9 ? "" : f.vehicle
            let row = "\(vehicle),\(ReplayTests.iso(f.time)),\(lat),\(f.lon),\(f.speed),\(f.heading),\(notes[k % notes.count])"
            csv += row + (k % 5 == 0 ? "\r\n" : "\n")
            if k % 97 == 3 { csv += row + "\n" }  // the same time again: refused by the engine
            if k % 89 == 0 { csv += "\n" }
            // Other vehicles (the inputs are one stream: the same ones again would go back in time).
            ndjson += "{\"vehicle_id\":\"\(vehicle.isEmpty ? "" : vehicle + "n")\",\"time\":\"\(ReplayTests.iso(f.time))\",\"lat\":\(lat),\"lon\":\(f.lon),\"note\":\"n\\\"\(k)\"}\n"
            if k % 89 == 0 { ndjson += "\n" }
        }
        return (csv, ndjson)
    }

    @Test func theLoggedSecondPassWritesWhatARescanWrites() throws {
        let dir = Fixtures.temporaryDirectory("rowlog")
        let (csv, ndjson) = Self.text()
        let inputs = [ReplayTests.write(csv, "fleet.csv", in: dir), ReplayTests.write(ndjson, "fleet.ndjson", in: dir)]
        var outputs: [[String]] = []
        for threads in [1, 2] {
            var options = ReplayOptions()
            options.threads = threads
            options.blockBytes = 64 << 10
            let out = dir.appendingPathComponent("t\(threads)")
            let replay = Replay(zones: ReplayTests.zones, zoneSet: ReplayTests.zoneSet, options: options)
            let report = try ReplayTests.replay(replay, inputs, out: out)  // rows conserved, per input and in all
            // One thread scans again; two read the logs of both inputs.
            #expect(replay.inputsRedactedFromLog == (threads == 1 ? [] : [0, 1]))
            for file in report.files {
                let c = file.counts
                #expect(c.dropped > 100 && c.rejected > 20 && c.kept > 100, "\(file.file): \(c)")
            }
            #expect(report.ordered && report.files[0].counts.coarsened > 100 && report.files[1].counts.coarsened > 100)
            outputs.append(
                ["fleet.redacted.csv", "fleet.redacted.ndjson", "report.json", "map.svg"].flatMap {
                    ReplayTests.lines(out.appendingPathComponent($0))
                })
            let hidden = (try? FileManager.default.contentsOfDirectory(atPath: out.path))?.filter { $0.hasPrefix(".") } ?? []
            #expect(hidden.isEmpty, "temporary files left: \(hidden)")
        }
        #expect(outputs[0].count > 1_000)
        #expect(outputs[0] == outputs[1])
    }

    /// A log that cannot be made is no log: the second pass scans again.
    @Test func aLogNeedsAWritableDirectory() {
        #expect(RowLog(directory: "/nonexistent-\(UInt64.random(in: 0...UInt64.max))") == nil)
    }

    /// Many inputs share one log (one file, one batch of memory): a section each, read back
    /// whole and in order, with its own vehicle slots.
    @Test func inputsHaveSectionsOfOneLog() throws {
        let dir = Fixtures.temporaryDirectory("rowlog")
        let log = try #require(RowLog(directory: dir.path))
        var expected: [[Int64]] = []
        for input in 0..<5 {
            log.begin(input: input, fileBytes: 1000 + input)
            var rows: [TripRow] = []
            var times: [Int64] = []
            // Sections of 0, 1 and several batches.
            let count = [0, 1, RowLog.batchRows + 3, 2 * RowLog.batchRows, 7][input]
            for k in 0..<count {
                var row = TripRow(start: 10 * k, end: 10 * k + 9, line: k)
                row.vehicle = "V\(k % 3)-\(input)"
                row.time = Int64(input * 1_000_000 + k)
                times.append(row.time)
                rows.append(row)
                if rows.count == 1000 {
                    log.append(rows, origin: 5)
                    rows = []
                }
            }
            log.append(rows, origin: 5)
            log.end(rescanner: nil)
            expected.append(times)
        }
        #expect(!log.failed)
        for input in 0..<5 {
            let section = try #require(log.sections[input])
            #expect(section.fileBytes == 1000 + input)
            #expect(section.ids == (expected[input].isEmpty ? [] : expected[input].count == 1 ? ["V0-\(input)"] : (0..<3).map { "V\($0)-\(input)" }))
            var times: [Int64] = []
            var batches = 0
            try log.forEachBatch(of: section, file: "x") { _, _ in } _: { k, records in
                #expect(k == batches)
                batches += 1
                for r in records {
                    times.append(r.time)
                    #expect(Int(r.slot) == (times.count - 1) % 3 && Int(r.start) == 5 + 10 * (times.count - 1) && r.length == 9)
                }
            }
            #expect(times == expected[input])
        }
    }
}
