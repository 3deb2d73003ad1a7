import ArgumentParser
import Cordon
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List zone sets and their versions.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.openExisting()
        let sets: [ZoneSetSummary]
        do { sets = try store.sets() } catch { throw CLIExit.store(error) }
        guard !sets.isEmpty else {
            writeStdout("no zone sets in \(database.db)\n")
            return
        }
        var rows = [["SET", "VERSION", "ACTIVE", "ZONES", "VERTICES", "CREATED", "BY", "SOURCE", "CHECKSUM"]]
        for set in sets {
            for v in set.versions {
                rows.append([
                    set.name, String(v.version), v.isActive ? "*" : "", v.zoneCount.grouped, v.vertexCount.grouped,
                    v.createdAt.iso8601, v.createdBy, v.source, String(v.checksum.prefix(19)),
                ])
            }
        }
        writeStdout(table(rows))
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one zone of a zone set.")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("set"), help: "Zone set name.") var setName: String
    @Option(help: "Version (default: the active one).") var version: Int?
    @Argument(help: "Zone id.") var id: String
    @Flag(help: "Print the zone as a GeoJSON feature instead.") var geojson = false

    func run() throws {
        let store = try database.openExisting()
        let entry: ZoneSet.Entry?
        let resolved: Int
        do {
            resolved = try store.resolveVersion(setName: setName, version: version)
            entry = try store.entry(setName: setName, version: resolved, id: id)
        } catch { throw CLIExit.store(error) }
        guard let entry else { throw CLIExit.invalid("error: zone set \"\(setName)\" version \(resolved) has no zone \"\(id)\"") }
        if geojson {
            writeStdout(GeoJSONWriter().string([entry.zone]))
            return
        }
        writeStdout(describe(entry, set: setName, version: resolved))
    }

    func describe(_ entry: ZoneSet.Entry, set: String, version: Int) -> String {
        let z = entry.zone
        let g = z.geometry
        let box = g.boundingBox
        var data = z.policy.data.name
        if case .coarsen(let m) = z.policy.data { data += " (\(JSONWriter.number(m)) m)" }
        var rows: [[String]] = [
            ["id", z.id], ["name", z.name], ["set", "\(set) version \(version)"], ["category", z.category.rawValue],
            ["cameras off", z.policy.cameras.names.isEmpty ? "none" : z.policy.cameras.names.joined(separator: ", ")],
            ["data", data], ["buffer", "\(JSONWriter.number(z.bufferMeters)) m"],
        ]
        if let s = z.schedule {
            let windows = s.windows.map { w in
                w.days.map(\.shortName).joined(separator: ",") + " " + Schedule.Window.clockText(w.startMinute) + "-"
                    + Schedule.Window.clockText(w.endMinute)
            }
            rows.append(["schedule", "\(s.timeZone): " + windows.joined(separator: "; ")])
        } else {
            rows.append(["schedule", "always"])
        }
        if let t = z.validFrom { rows.append(["valid from", t.iso8601]) }
        if let t = z.validUntil { rows.append(["valid until", t.iso8601]) }
        let holes = g.polygons.reduce(0) { $0 + $1.holes.count }
        rows.append(["geometry", "\(g.isMulti ? "MultiPolygon" : "Polygon"), \(g.polygons.count) part(s), \(holes) hole(s), \(g.vertexCount.grouped) vertices"])
        rows.append(["bounds", "lon \(formatCoordinate(box.minLongitude))…\(formatCoordinate(box.maxLongitude)), lat \(formatCoordinate(box.minLatitude))…\(formatCoordinate(box.maxLatitude))"])
        rows.append(["area", "\(formatArea(sphericalArea(g))) (approach \(formatArea(sphericalArea(entry.approach))))"])
        rows.append(["approach", "\(entry.approach.polygons.count) part(s), \(entry.approach.vertexCount.grouped) vertices"])
        for m in z.metadata { rows.append([m.key, m.value.stringValue ?? JSONWriter().string(m.value)]) }
        return table(rows.map { [$0[0] + ":", $0[1]] })
    }
}

func formatCoordinate(_ v: Double) -> String { JSONWriter.number((v * 1e7).rounded() / 1e7) }

func formatArea(_ squareMetres: Double) -> String {
    if squareMetres >= 1e6 { return JSONWriter.number((squareMetres / 1e4).rounded() / 100) + " km²" }
    return JSONWriter.number(squareMetres.rounded()) + " m²"
}

struct ActivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activate", abstract: "Make a stored version the active one.")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("set"), help: "Zone set name.") var setName: String
    @Option(help: "Version to activate.") var version: Int
    @Option(help: "Who is activating, for the audit log (default: $USER).") var actor: String?

    func run() throws {
        let store = try database.openExisting()
        let who = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
        do {
            let info = try store.activate(setName: setName, version: version, actor: who)
            database.cacheIndex(of: store, setName: info.setName, version: info.version)
            writeStdout("activated \"\(info.setName)\" version \(info.version) (\(info.zoneCount.grouped) zones, \(info.checksum))\n")
        } catch { throw CLIExit.store(error) }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Re-activate the version that was active before the current one.")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("set"), help: "Zone set name.") var setName: String
    @Option(help: "Who is rolling back, for the audit log (default: $USER).") var actor: String?

    func run() throws {
        let store = try database.openExisting()
        let who = actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
        do {
            let info = try store.rollback(setName: setName, actor: who)
            database.cacheIndex(of: store, setName: info.setName, version: info.version)
            writeStdout("rolled back \"\(info.setName)\": version \(info.version) is active (\(info.zoneCount.grouped) zones)\n")
        } catch { throw CLIExit.store(error) }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a stored version as GeoJSON or KML.")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("set"), help: "Zone set name.") var setName: String
    @Option(help: "Version (default: the active one).") var version: Int?
    @Option(help: "geojson or kml.") var format: String = "geojson"
    @Option(help: "Write to this file instead of stdout (atomically: temporary file, then rename).") var out: String?

    func validate() throws {
        guard ["geojson", "kml"].contains(format.lowercased()) else {
            throw ValidationError("--format must be geojson or kml")
        }
    }

    func run() throws {
        let store = try database.openExisting()
        let set: ZoneSet
        do { set = try store.zoneSet(setName: setName, version: version) } catch { throw CLIExit.store(error) }
        let text = set.exported(as: format.lowercased() == "kml" ? .kml : .geojson)
        guard let out else {
            writeStdout(text)
            return
        }
        try writeOutput(text, to: out)
        writeStdout("wrote \(set.zones.count.grouped) zones of \"\(set.name)\" version \(set.version) to \(out)\n")
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit log, newest first.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Entries to show.") var limit: Int = 50

    func run() throws {
        let store = try database.openExisting()
        let entries: [AuditEntry]
        do { entries = try store.auditLog(limit: limit) } catch { throw CLIExit.store(error) }
        var rows = [["#", "AT", "ACTOR", "ACTION", "SET", "VERSION", "DETAIL"]]
        for e in entries {
            rows.append([String(e.sequence), e.at.iso8601, e.actor, e.action, e.setName, e.version.map(String.init) ?? "", e.detail])
        }
        writeStdout(table(rows))
    }
}
