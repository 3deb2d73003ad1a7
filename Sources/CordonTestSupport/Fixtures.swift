public import Foundation
public import CordonCore
import CordonFormats

/// Paths and small helpers shared by the test targets. Stateless; `Sendable`.
public enum Fixtures {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/CordonTestSupport/Fixtures.swift
        return url
    }()

    public static func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// `../shared/data/NAME` beside the repository (the developers' test data).
    public static func sharedData(_ name: String) -> String {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(name)").path
    }

    /// A fresh, empty temporary directory, inside one directory per test process that is
    /// removed when the process exits (tests leave nothing behind in the system's temporary
    /// directory; a crashed run leaves its one directory, named by process id).
    public static func temporaryDirectory(_ label: String = "cordon-test") -> URL {
        let url = processScratch.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The per-process parent of `temporaryDirectory`, made on first use.
    private static let processScratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cordon-tests-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Fixtures.processScratch) }
        return url
    }()

    /// Geometry from WKT text (`POLYGON ((…))` / `MULTIPOLYGON (…)`), read exactly as import reads
    /// it but without the GEOS stage; nil with the diagnostics printed when the text is refused.
    public static func geometry(_ wkt: String, repair: Bool = false) -> MultiPolygon? {
        var options = ZoneReadOptions()
        options.repair = repair
        options.defaultProperties = [JSONMember("category", .string("custom"))]
        guard let result = try? WKTReader(options: options).read(Array("g\t\(wkt)\n".utf8), file: "test.wkt") else {
            return nil
        }
        return result.zones.first?.zone.geometry
    }

    /// A zone with default policy from WKT, for tests.
    public static func zone(_ id: String, _ wkt: String, category: Category = .military, buffer: Double? = nil) -> Zone? {
        guard let g = geometry(wkt) else { return nil }
        return Zone(id: id, name: id, category: category, geometry: g, bufferMeters: buffer)
    }
}

extension Fixtures {
    /// The bytes of a gzip file (through `gzip -dc`; Foundation on Linux has no gzip).
    public static func gunzip(_ path: String) throws -> [UInt8] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FixtureError(message: "\(path): missing (the shared test data is expected at ../shared/data beside the repository)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "\(path): gzip -dc exited with status \(process.terminationStatus)")
        }
        return [UInt8](data)
    }

    /// The shared zone set (10,020 zones) as read by Cordon, cores only (approach = core).
    public static func sharedZones() throws -> [Zone] {
        let bytes = try gunzip(sharedData("zones.geojson.gz"))
        return try GeoJSONReader().read(bytes, file: "zones.geojson").zones.map(\.zone)
    }

    /// Natural Earth's 177 countries (`ne110_countries.geojson`, 1:110m) as read by Cordon, with
    /// category `custom` where the file gives none: a real map, with the antimeridian, the
    /// south pole and one self-intersecting ring (Sudan's, which import refuses unrepaired).
    public static func naturalEarthCountries() throws -> [Zone] {
        let path = sharedData("ne110_countries.geojson")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError(message: "\(path): missing (the shared test data is expected at ../shared/data beside the repository)")
        }
        var options = ZoneReadOptions()
        options.defaultProperties = [JSONMember("category", .string("custom"))]
        return try GeoJSONReader(options: options).read([UInt8](data), file: "ne110_countries.geojson").zones.map(\.zone)
    }

    /// Rows of a small CSV with a header, split on commas (no quoting).
    public static func csvRows(_ bytes: [UInt8]) -> [[Substring]] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }
}

/// A test fixture that cannot be read; the message names the file. A value; `Sendable`.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
