import ArgumentParser
import Cordon
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay trip logs through the engine: directives, redacted copies, report and map.",
        discussion: """
            Inputs: CSV (header naming vehicle_id, timestamp, lat, lon; optional accuracy, speed, heading), \
            NDJSON with the same fields, or GPX 1.1 (each track a vehicle); any of them gzip-compressed. \
            Writes into DIR: directives.ndjson, NAME.redacted.EXT per input, report.json, report.txt, map.svg. \
            Malformed rows are reported with file and line, counted and skipped (--strict: exit 1 at the first). \
            See docs/replay.md.
            """)

    @OptionGroup var source: ZoneSourceOptions
    @Argument(help: "Trip log files (.csv, .ndjson, .gpx, optionally .gz).") var trips: [String]
    @Option(help: "Output directory (created when missing).") var out: String
    @Option(help: "Input format: auto, csv, ndjson or gpx (auto: from the file name, else the content).") var format = "auto"
    @Option(help: "Engine parameters: a JSON object such as {\"preroll_s\": 15} (keys in docs/directives.md).") var config: String?
    @Option(help: "Other column or member names: ROLE=NAME[,ROLE=NAME…], roles vehicle_id, timestamp, lat, lon, accuracy, speed, heading.")
    var columns: String?
    @Flag(help: "Stop with exit code 1 at the first malformed or invalid row.") var strict = false
    @Flag(help: "No progress display.") var quiet = false
    @Option(help: "Worker threads, 1 to 256 (default: the machine's cores; the output is the same for any count).") var threads: Int?
    @Flag(help: "Only parse the inputs and print the rate (the floor for benchmarks); writes nothing.") var parseOnly = false

    func validate() throws {
        if let threads, !(1...256).contains(threads) {
            throw ValidationError("--threads must be between 1 and 256, not \(threads)")
        }
    }

    func run() throws {
        var options = ReplayOptions()
        if format != "auto" {
            guard let f = TripFormat(rawValue: format.lowercased()) else {
                throw CLIExit(code: CLIExit.usage, message: "error: unknown format \"\(format)\" (expected auto, csv, ndjson or gpx)")
            }
            options.format = f
        }
        do throws(ReplayError) {
            if let columns { options.columns = try ColumnNames(mapping: columns) }
        } catch { throw CLIExit(code: CLIExit.usage, message: error.description) }
        options.strict = strict
        options.threads = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        options.parseOnly = parseOnly
        let configuration = try loadConfiguration()
        // The parse-only floor reads no zones: it is the parse alone.
        let loadStarted = Date()
        let (set, index) = parseOnly ? Self.noZones : try source.load()
        let loadSeconds = Date().timeIntervalSince(loadStarted)
        let zones = ZoneSnapshot(set, index: index)
        let replay = Replay(zones: zones, zoneSet: set, configuration: configuration, options: options)
        let bar = (!quiet && isatty(2) != 0) ? ProgressBar() : nil
        let started = Date()
        var progress: (@Sendable (ReplayProgress) -> Void)? = nil
        if let bar { progress = { bar.show($0) } }
        let report: ReplayReport
        do throws(ReplayError) {
            report = try replay.run(inputs: trips, directory: out, progress: progress)
        } catch {
            bar?.clear()
            switch error {
            case .usage: throw CLIExit(code: CLIExit.usage, message: error.description)
            default: throw CLIExit.invalid(error.description)
            }
        }
        bar?.clear()
        let seconds = Date().timeIntervalSince(started)
        let t = report.totals
        let rate = seconds > 0 ? Int(Double(t.rowsIn) / seconds) : 0
        if parseOnly {
            writeStdout("parsed \(t.rowsIn.grouped) rows (\(report.issues.count.grouped) unusable) in \(String(format: "%.2f", seconds)) s: \(rate.grouped) rows/s\n")
            return
        }
        for issue in report.issues.first.prefix(10) { writeStderr("warning: \(issue)") }
        if report.issues.count > 10 { writeStderr("warning: … \((report.issues.count - 10).grouped) more unusable rows (report.json lists the first 1,000)") }
        var text = "replayed \(t.rowsIn.grouped) fixes of \(report.vehicles.count.grouped) \(report.vehicles.count == 1 ? "vehicle" : "vehicles") in \(String(format: "%.2f", seconds)) s (\(rate.grouped) fixes/s)\n"
        text += "  kept \(t.kept.grouped) (coarsened \(t.coarsened.grouped)), dropped \(t.dropped.grouped), rejected \(t.rejected.grouped)\n"
        text += "  directives: \(out)/directives.ndjson\n"
        for f in report.files { if let r = f.redacted { text += "  redacted:   \(out)/\(r)\n" } }
        text += "  report:     \(out)/report.json, \(out)/report.txt\n"
        text += "  map:        \(out)/map.svg\n"
        text += "  (zones loaded and indexed in \(String(format: "%.2f", loadSeconds)) s before that; "
        text += "evaluation \(String(format: "%.2f", report.evaluateSeconds)) s, redaction and outputs \(String(format: "%.2f", report.writeSeconds)) s)\n"
        writeStdout(text)
    }

    static var noZones: (ZoneSet, ZoneIndex) {
        let set = ZoneSet(name: "", version: 0, entries: [])
        return (set, ZoneIndex.Builder().build(set))
    }

    func loadConfiguration() throws(CLIExit) -> EngineConfiguration {
        guard let config else { return EngineConfiguration() }
        do {
            let bytes = try readFileBytes(config, limit: 1 << 20)
            guard case .object(let members) = try JSONParser().parse(bytes, file: config) else {
                throw CLIExit.invalid("error: \(config): expected a JSON object of engine parameters")
            }
            var overrides: [(key: String, value: Double)] = []
            for m in members {
                guard case .number(let v) = m.value else {
                    throw CLIExit.invalid("error: \(config): \"\(m.key)\" must be a number")
                }
                overrides.append((m.key, v))
            }
            return try EngineConfiguration(overrides: overrides)
        } catch let exit as CLIExit {
            throw exit
        } catch let error as EngineError {
            throw CLIExit.invalid("error: \(config): \(error)")
        } catch let error as FormatError {
            throw CLIExit.invalid(error.description)
        } catch {
            throw CLIExit.invalid("error: \(config): \(error)")
        }
    }
}

/// A one-line progress bar on stderr: fraction of input bytes, rows, rate and ETA.
final class ProgressBar: Sendable {
    let started = Date()

    func show(_ p: ReplayProgress) {
        let fraction = p.bytesTotal > 0 ? min(1, Double(p.bytesDone) / Double(p.bytesTotal)) : 0
        let elapsed = Date().timeIntervalSince(started)
        let width = 28
        let filled = Int(fraction * Double(width))
        let rate = elapsed > 0 ? Double(p.rows) / elapsed : 0
        let eta = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : 0
        let line = String(format: "\r%@ [%@%@] %3.0f%%  %@ rows  %@/s  ETA %@ ",
            p.phase.padding(toLength: 8, withPad: " ", startingAt: 0),
            String(repeating: "#", count: filled), String(repeating: ".", count: width - filled),
            fraction * 100, p.rows.grouped, Int(rate).grouped, Self.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func clear() {
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 100) + "\r").utf8))
    }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}
