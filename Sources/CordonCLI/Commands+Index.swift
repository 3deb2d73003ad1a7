import ArgumentParser
import Cordon
import Foundation
#if canImport(Glibc)
import CMalloc
#endif

/// Where zones come from for the index commands: a stored set, or a zone file read directly.
struct ZoneSourceOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file.")
    var db = "./cordon.db"
    @Option(name: .customLong("set"), help: "Zone set (default: the only one in the database).")
    var setName: String?
    @Option(help: "Version (default: the active one).")
    var version: Int?
    @Option(help: "Read zones from this file instead of a database (validated as on import).")
    var zones: String?
    @Flag(help: "With --zones: repair invalid geometry with GEOS MakeValid, as `zones import --repair` does.")
    var repair = false
    @Flag(help: "Build the stored set's index instead of reading it from (and keeping it in) the directory DB.index-cache.")
    var noIndexCache = false

    func validate() throws {
        if repair && zones == nil { throw ValidationError("--repair applies to --zones (stored sets were validated on import)") }
    }

    /// The zone set and its index; exits 1 when a zone file is invalid. `approach: false`
    /// skips buffering a zone file's approach polygons (each approach is then its core), for a
    /// caller that only asks about cores; a stored set always has its approach polygons.
    func load(approach: Bool = true) throws(CLIExit) -> (ZoneSet, ZoneIndex) {
        let set =
            if let zones {
                try Self.fileSet(zones, name: (zones as NSString).lastPathComponent, repair: repair, approach: approach)
            } else {
                try Self.storedSet(db: db, setName: setName, version: version)
            }
        // A stored set's index is kept beside the database (a zone file is read and buffered
        // anew each time, which costs far more than its index).
        let index = zones == nil && !noIndexCache ? ZoneIndexCache(database: db).index(for: set).index : ZoneIndex.Builder().build(set)
        #if canImport(Glibc)
        // The build's scratch is freed but stays with the allocator; hand it back to the system,
        // so that what a command does next (a replay's sort buffer) adds to what the index
        // holds, not to the build's peak.
        _ = malloc_trim(0)
        #endif
        return (set, index)
    }

    /// A zone file read and validated as on import (version 0); exits 1 when it is invalid,
    /// after printing the report. With `repair`, invalid geometry is mended as on
    /// `zones import --repair` (each repair reported as a warning).
    static func fileSet(_ path: String, name: String, repair: Bool = false, approach: Bool = true) throws(CLIExit) -> ZoneSet {
        var options = ImportOptions()
        options.repair = repair
        options.approachBuffers = approach
        let report = ZoneCatalog.prepare(files: [path], options: options)
        if report.hasErrors {
            printReport(report)
            let hint = repair || !report.hasRepairableErrors ? "" : " (--repair mends invalid geometry with GEOS MakeValid)"
            throw CLIExit.invalid("error: \(path) is not a valid zone file\(hint)")
        }
        // Each repair is a change to what the user gave: say so (on stderr, outputs untouched).
        let repairs = report.diagnostics.filter { $0.code == "repaired" }
        if !repairs.isEmpty {
            FileHandle.standardError.write(Data((repairs.map(\.description) + [""]).joined(separator: "\n").utf8))
        }
        return ZoneSet(name: name, version: 0, entries: report.entries)
    }

    /// A stored version (the active one by default) of the named set, or of the only set.
    static func storedSet(db: String, setName: String?, version: Int?) throws(CLIExit) -> ZoneSet {
        var database = DatabaseOptions()
        database.db = db
        let store = try database.openExisting()
        do throws(StoreError) { return try ZoneCatalog(store: store).loadSet(setName: setName, version: version) } catch {
            throw CLIExit.store(error)
        }
    }
}


struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Which zones contain a position (core or approach area).",
        discussion: "Negative coordinates are read as numbers, not options: `cordon check -33.92 18.42`.")

    /// The options of `check` that take a value (the next argument, unless written `--opt=value`).
    static let valueOptions: Set<String> = ["--db", "--set", "--version", "--zones"]

    /// The command line with `check`'s coordinates moved behind a `--`, so that a negative
    /// latitude or longitude (`-33.92`) is read as a number rather than as an option. Other
    /// command lines, and `check` lines that already have a `--`, are returned unchanged.
    static func withNegativeCoordinates(_ arguments: [String]) -> [String] {
        guard arguments.first == "check", !arguments.contains("--") else { return arguments }
        func isNumber(_ s: String) -> Bool { s.count > 1 && s.first == "-" && Double(s) != nil }
        guard arguments.contains(where: isNumber) else { return arguments }
        var options: [String] = [], positionals: [String] = []
        var k = 1
        while k < arguments.count {
            let a = arguments[k]
            if valueOptions.contains(a), k + 1 < arguments.count {
                options += [a, arguments[k + 1]]
                k += 2
                continue
            }
            if a.hasPrefix("-") && !isNumber(a) { options.append(a) } else { positionals.append(a) }
            k += 1
        }
        return ["check"] + options + ["--"] + positionals
    }

    @OptionGroup var source: ZoneSourceOptions
    @Argument(help: "Latitude in degrees.") var lat: Double
    @Argument(help: "Longitude in degrees.") var lon: Double

    func run() throws {
        let c = Coordinate(longitude: lon, latitude: lat)
        guard c.isValid else {
            throw CLIExit.invalid("error: latitude must be in [-90, 90] and longitude in [-180, 180], got \(lat), \(lon)")
        }
        let (set, index) = try source.load()
        let hits = index.locate(c).sorted { naturalIDOrder(set.entries[Int($0.zone)].zone.id, set.entries[Int($1.zone)].zone.id) }
        var out = "\(JSONWriter.number(lat)), \(JSONWriter.number(lon)) (lat, lon) in \"\(set.name)\""
        out += set.version > 0 ? " version \(set.version):\n" : ":\n"
        guard !hits.isEmpty else {
            writeStdout(out + "  no zone\n")
            return
        }
        var rows: [[String]] = []
        for hit in hits {
            let z = set.entries[Int(hit.zone)].zone
            var data = z.policy.data.name
            if case .coarsen(let m) = z.policy.data { data += " \(JSONWriter.number(m)) m" }
            let cameras = z.policy.cameras.names.isEmpty ? "none" : z.policy.cameras.names.joined(separator: "+")
            rows.append([
                "  " + z.id, hit.kind == .core ? "core" : "approach (\(JSONWriter.number(z.bufferMeters)) m)",
                z.category.rawValue, "cameras off: \(cameras)", "data: \(data)", z.name,
            ])
        }
        writeStdout(out + table(rows))
    }
}

struct LocateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate",
        abstract: "Zones of every point of a CSV file (id,lat,lon), as CSV id,zone_ids.")

    @OptionGroup var source: ZoneSourceOptions
    @Option(help: "Points CSV with a header naming id, lat and lon (other columns ignored).") var points: String
    @Flag(help: "Count a zone's approach area too (default: core polygons only).") var approach = false
    @Option(help: "Write here (atomically) instead of stdout.") var out: String?

    func run() throws {
        let (set, index) = try source.load(approach: approach)
        let bytes: [UInt8]
        let parsed: PointsCSV
        do {
            bytes = try readFileBytes(points, limit: 8 << 30)
            parsed = try PointsCSV.read(bytes, file: points)
        } catch { throw CLIExit.invalid(error.description) }
        // Zone ids ranked once in natural order, so each row sorts small integers.
        let order = (0..<set.entries.count).sorted { naturalIDOrder(set.entries[$0].zone.id, set.entries[$1].zone.id) }
        var rank = [Int](repeating: 0, count: order.count)
        for (r, z) in order.enumerated() { rank[z] = r }
        var text = "id,zone_ids\n"
        text.reserveCapacity(parsed.coordinates.count * 16)
        var hits: [ZoneHit] = []
        var row: [Int] = []
        var zoneList = ""
        for (k, c) in parsed.coordinates.enumerated() {
            hits.removeAll(keepingCapacity: true)
            index.locate(c, into: &hits)
            row.removeAll(keepingCapacity: true)
            for h in hits where approach || h.kind == .core { row.append(rank[Int(h.zone)]) }
            row.sort()
            text += CSVFields.escape(parsed.ids[k])
            text += ","
            zoneList.removeAll(keepingCapacity: true)
            for (n, r) in row.enumerated() {
                if n > 0 { zoneList += ";" }
                zoneList += set.entries[order[r]].zone.id
            }
            text += CSVFields.escape(zoneList)
            text += "\n"
        }
        try writeOutput(text, to: out)
    }
}

/// Writes `text` to stdout, or to `path` through a temporary file and a rename.
func writeOutput(_ text: String, to path: String?) throws(CLIExit) {
    guard let path else {
        writeStdout(text)
        return
    }
    let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 { throw CocoaError(.fileWriteUnknown) }
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw CLIExit(code: CLIExit.invalidInput, message: "error: cannot write \(path)")
    }
}
