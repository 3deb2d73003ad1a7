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

    /// A fresh, empty temporary directory.
    public static func temporaryDirectory(_ label: String = "cordon-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

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
