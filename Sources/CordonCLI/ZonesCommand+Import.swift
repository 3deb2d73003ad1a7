import ArgumentParser
import Cordon
import Foundation

/// Prints a report the same way for `validate` and `import`: diagnostics to stderr, a summary
/// per file and in total to stdout.
func printReport(_ report: ImportReport) {
    // Every error is listed; each kind of warning is shown 10 times, then counted.
    var errText = ""
    var warningsShown: [String: Int] = [:]
    for d in report.diagnostics {
        if d.severity == .warning {
            warningsShown[d.code, default: 0] += 1
            if warningsShown[d.code, default: 0] > 10 { continue }
        }
        errText += d.description + "\n"
    }
    for (code, n) in warningsShown.sorted(by: { $0.key < $1.key }) where n > 10 {
        errText += "… and \(n - 10) more [\(code)] warning(s)\n"
    }
    if !errText.isEmpty { FileHandle.standardError.write(Data(errText.utf8)) }
    let zones = report.entries.count
    let vertices = report.entries.reduce(0) { $0 + $1.zone.geometry.vertexCount }
    let approach = report.entries.reduce(0) { $0 + $1.approach.vertexCount }
    var out = "\(report.files.count) file(s), \(report.featureCount.grouped) feature(s): \(zones.grouped) valid, "
    out += "\(report.rejectedCount.grouped) refused; \(report.errors.count) error(s), \(report.warnings.count) warning(s)\n"
    if zones > 0 {
        out += "valid zones: \(vertices.grouped) vertices, approach polygons \(approach.grouped) vertices\n"
    }
    out += "checksum \(report.checksum)\n"
    writeStdout(out)
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check zone files without storing them (exit 1 when any is invalid).")

    @Argument(help: "Zone files (GeoJSON, KML, WKT).")
    var files: [String]

    @OptionGroup var read: ReadFlags

    func run() throws {
        let report = ZoneCatalog.prepare(files: files, options: try read.importOptions())
        printReport(report)
        if report.hasErrors { throw CLIExit.invalid() }
        writeStdout("valid\n")
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate zone files and store them as a new version of a zone set (all or nothing).")

    @Argument(help: "Zone files (GeoJSON, KML, WKT); together they make one version.")
    var files: [String]

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("set"), help: "Zone set name.")
    var setName: String

    @Flag(help: "Make the new version the active one.")
    var activate = false

    @Flag(help: "Store the valid zones even when some are invalid (the invalid ones are still reported).")
    var skipInvalid = false

    @Option(help: "Who is importing, for the audit log (default: $USER).")
    var actor: String?

    @OptionGroup var read: ReadFlags

    func validate() throws {
        guard !setName.isEmpty, setName.count <= 128, !setName.contains("/") else {
            throw ValidationError("--set must be a non-empty name of at most 128 characters without '/'")
        }
    }

    func run() throws {
        var options = try read.importOptions()
        options.skipInvalid = skipInvalid
        let store = try database.open()
        let who = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
        let report: ImportReport
        do {
            report = try ZoneCatalog(store: store).importZones(
                files: files, setName: setName, activate: activate, actor: who, options: options,
                afterEachZone: FaultInjection.pauseHook())
        } catch {
            throw CLIExit.store(error)
        }
        printReport(report)
        guard let stored = report.stored else {
            let reason = report.entries.isEmpty ? "no valid zone" : "invalid input (use --skip-invalid to store the valid zones)"
            throw CLIExit.invalid("nothing stored: \(reason)")
        }
        if stored.isActive { database.cacheIndex(of: store, setName: stored.setName, version: stored.version) }
        var out = "stored \"\(stored.setName)\" version \(stored.version): \(stored.zoneCount.grouped) zones"
        out += stored.isActive ? " (active)\n" : " (not active; activate with: cordon zones activate --set \(stored.setName) --version \(stored.version))\n"
        writeStdout(out)
    }
}

/// A test-only pause inside the import transaction, so a test can kill the process there.
///
/// With `CORDON_TEST_PAUSE_AFTER_ZONES=N`, the import writes `paused after N zones` to stderr
/// once N zones are written (inside the open transaction) and blocks until stdin closes.
enum FaultInjection {
    static func pauseHook() -> ((Int) -> Void)? {
        guard let raw = ProcessInfo.processInfo.environment["CORDON_TEST_PAUSE_AFTER_ZONES"], let n = Int(raw) else {
            return nil
        }
        return { written in
            guard written == n else { return }
            writeStderr("paused after \(n) zones")
            _ = FileHandle.standardInput.readDataToEndOfFile()
        }
    }
}
