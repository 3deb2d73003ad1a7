import Benchmark
import Cordon
import Foundation

// Import of the shared zone set, stage by stage: JSON parse, GeoJSON read (format checks),
// parse + GEOS validation + buffering, and the whole import into a fresh SQLite file.
// The zone file comes from $CORDON_BENCH_ZONES (import.sh unpacks ../shared/data/zones.geojson.gz).

let zonesPath = ProcessInfo.processInfo.environment["CORDON_BENCH_ZONES"] ?? "/tmp/cordon-bench/zones.geojson"

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 3)

    guard let bytes = FileManager.default.contents(atPath: zonesPath).map({ [UInt8]($0) }) else {
        print("ImportBenchmark: \(zonesPath) not found; run Benchmarks/import.sh")
        return
    }

    Benchmark("Import/1 JSON parse") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONParser().parse(bytes, file: "zones.geojson"))
        }
    }

    Benchmark("Import/2 GeoJSON read and format checks") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try GeoJSONReader().read(bytes, file: "zones.geojson").zones.count)
        }
    }

    Benchmark("Import/3 read + GEOS validate + buffer (2 threads)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ZoneCatalog.prepare(sources: [("zones.geojson", bytes)], options: ImportOptions()).entries.count)
        }
    }

    Benchmark("Import/4 whole import into SQLite") { benchmark in
        for _ in benchmark.scaledIterations {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cordon-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try ZoneStore(path: dir.appendingPathComponent("bench.db").path)
            benchmark.startMeasurement()
            let report = try ZoneCatalog(store: store).importZones(
                files: [zonesPath], setName: "bench", activate: true, actor: "bench", options: ImportOptions())
            benchmark.stopMeasurement()
            blackHole(report.stored?.version)
        }
    }
}
