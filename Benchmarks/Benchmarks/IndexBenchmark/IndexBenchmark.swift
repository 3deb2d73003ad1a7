import Benchmark
import Cordon
import Foundation

// The point index on the shared zone set (cores and approach polygons) and 1,000,000 query
// points: build, batch locate and single locate. The zone set comes from a Cordon database
// made by Benchmarks/import.sh ($CORDON_BENCH_DB, set "bench"); the points from
// $CORDON_BENCH_POINTS. `cordon bench` gives the same figures beside GEOS and a naive scan.

let env = ProcessInfo.processInfo.environment
let databasePath = env["CORDON_BENCH_DB"] ?? "/tmp/cordon-bench/bench.db"
let pointsPath = env["CORDON_BENCH_POINTS"] ?? "/tmp/cordon-bench/queries.csv"

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 5)

    guard let store = try? ZoneStore(path: databasePath), let set = try? store.zoneSet(setName: "bench"),
        let bytes = FileManager.default.contents(atPath: pointsPath),
        let points = try? PointsCSV.read([UInt8](bytes), file: pointsPath).coordinates
    else {
        print("IndexBenchmark: run Benchmarks/import.sh first (needs \(databasePath) and \(pointsPath))")
        return
    }
    let index = ZoneIndex.Builder().build(set)

    Benchmark("Index/build (shared set, 2 threads)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ZoneIndex.Builder().build(set)) }
    }

    Benchmark("Index/locate batch (1M points)", configuration: .init(scalingFactor: .mega)) { benchmark in
        let stride = 16
        var counts = [UInt32](repeating: 0, count: points.count)
        var hits = [ZoneHit](repeating: ZoneHit(zone: 0, kind: .core), count: points.count * stride)
        benchmark.startMeasurement()
        points.withUnsafeBufferPointer { p in
            counts.withUnsafeMutableBufferPointer { c in
                hits.withUnsafeMutableBufferPointer { h in index.locate(batch: p, stride: stride, counts: c, hits: h) }
            }
        }
        benchmark.stopMeasurement()
        blackHole(counts[0])
    }

    Benchmark("Index/locate single (1M points)", configuration: .init(scalingFactor: .mega)) { benchmark in
        var hits: [ZoneHit] = []
        hits.reserveCapacity(256)
        var total = 0
        for c in points {
            hits.removeAll(keepingCapacity: true)
            index.locate(c, into: &hits)
            total += hits.count
        }
        blackHole(total)
    }
}
