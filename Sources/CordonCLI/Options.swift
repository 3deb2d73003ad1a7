import ArgumentParser
import Cordon
import Foundation

/// `--db PATH`, default `./cordon.db`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite database file.")
    var db = "./cordon.db"

    func open() throws(CLIExit) -> ZoneStore {
        do { return try ZoneStore(path: db) } catch { throw CLIExit.store(error) }
    }

    /// Opens an existing database only (reading commands must not create one).
    func openExisting() throws(CLIExit) -> ZoneStore {
        guard FileManager.default.fileExists(atPath: db) else {
            throw CLIExit(code: CLIExit.storage, message: "error: no database at \(db) (import zones first, or pass --db)")
        }
        return try open()
    }

    /// Builds the index of a version just made active into the database's index cache
    /// (`ZoneIndexCache`), so that the commands and the server that load it next read it
    /// instead of building it. Best effort: the version is active whether or not this works.
    func cacheIndex(of store: ZoneStore, setName: String, version: Int) {
        guard let set = try? ZoneCatalog(store: store).loadSet(setName: setName, version: version) else { return }
        _ = ZoneIndexCache(database: db).index(for: set)
    }
}

/// How zone files are read and checked; shared by `validate` and `import`.
struct ReadFlags: ParsableArguments {
    @Option(help: "Property holding the zone id (default: properties.id, then the feature id).")
    var idProperty: String?

    @Option(help: "Datum of the file's coordinates: wgs84 or gcj02 (converted to WGS84).")
    var datum: String = "wgs84"

    @Option(help: "Force the input format: geojson, kml or wkt (default: from the file name or content).")
    var format: String?

    @Flag(help: "Repair invalid geometry with GEOS MakeValid and close unclosed rings, reporting each change.")
    var repair = false

    @Option(help: "Refuse files larger than this many MiB.")
    var maxFileMb: Int = 256

    @Option(help: "Refuse zones larger than this many km².")
    var maxAreaKm2: Double = 25_000_000

    // Properties for formats that carry none (WKT), and fallbacks for GeoJSON/KML features.
    @Option(help: "Category for zones that do not set one: military, government, defense_industry, custom.")
    var category: String?
    @Option(help: "Approach buffer in metres for zones that do not set one.")
    var bufferM: Double?
    @Option(help: "Camera groups to disable, comma-separated (exterior,cabin), for zones that do not set them.")
    var cameras: String?
    @Option(help: "Data action for zones that do not set one: drop, local_only, coarsen, none.")
    var data: String?
    @Option(help: "Coarsening precision in metres (with --data coarsen).")
    var coarsenM: Double?

    func importOptions() throws(CLIExit) -> ImportOptions {
        var options = ImportOptions()
        options.repair = repair
        options.maximumAreaSquareKilometres = maxAreaKm2
        options.read.idProperty = idProperty
        options.read.maximumFileBytes = maxFileMb << 20
        guard let d = Datum(rawValue: datum.lowercased()) else {
            throw CLIExit(code: CLIExit.usage, message: "error: unknown datum \"\(datum)\" (expected wgs84 or gcj02)")
        }
        options.read.datum = d
        if let format {
            guard let f = ZoneFileFormat(rawValue: format.lowercased()) else {
                throw CLIExit(code: CLIExit.usage, message: "error: unknown format \"\(format)\" (expected geojson, kml or wkt)")
            }
            options.format = f
        }
        var defaults: [JSONMember] = []
        if let category { defaults.append(JSONMember("category", .string(category))) }
        if let bufferM { defaults.append(JSONMember("buffer_m", .number(bufferM))) }
        if let cameras { defaults.append(JSONMember("cameras", .string(cameras))) }
        if let data { defaults.append(JSONMember("data", .string(data))) }
        if let coarsenM { defaults.append(JSONMember("coarsen_m", .number(coarsenM))) }
        options.read.defaultProperties = defaults
        return options
    }
}

extension Int {
    /// `1,234,567`.
    var grouped: String {
        let digits = String(Swift.abs(self))
        var out = ""
        for (k, ch) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + out
    }
}

/// Left-aligned text table.
func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (k, cell) in row.enumerated() where k < widths.count { widths[k] = Swift.max(widths[k], cell.count) } }
    return rows.map { row in
        row.enumerated().map { k, cell in
            k == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[k] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}
