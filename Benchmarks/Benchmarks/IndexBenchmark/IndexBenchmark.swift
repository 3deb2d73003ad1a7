import Benchmark
import Cordon
import CordonGEOS
import Foundation

// The point index on the shared zone set (cores and approach polygons) and 1,000,000 query
// points: build, batch locate and single locate, and in the same run the two baselines on
// the same points: GEOS (STRtree + prepared geometry, a point made per query, as GEOS 3.11
// requires) and a naive scan (bounding boxes, then every edge). Every locate benchmark reports
// its time per point (the batch and single ones over all points at once; GEOS and the naive
// scan over 1,000 points an iteration, each iteration the next 1,000 of the file), so the
// ratios are read off one table. The zone set comes from a Cordon database made by
// Benchmarks/import.sh ($CORDON_BENCH_DB, set "bench"); the points from $CORDON_BENCH_POINTS.
// `cordon bench` prints the same comparison with its ratios.

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
    let areas = ZoneIndex.areas(of: set)

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

    // The baselines: 1,000 points an iteration (time per point), the next 1,000 each time.
    func baseline(_ name: String, maxIterations: Int, _ locate: @escaping (Coordinate, inout [UInt32]) -> Void) {
        let slices = max(1, points.count / 1_000)
        var next = 0
        Benchmark(name, configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(30), maxIterations: maxIterations)) { _ in
            let first = (next % slices) * 1_000
            next += 1
            var out: [UInt32] = []
            var total = 0
            for c in points[first..<min(first + 1_000, points.count)] {
                out.removeAll(keepingCapacity: true)
                locate(c, &out)
                total += out.count
            }
            blackHole(total)
        }
    }
    if let context = try? GEOSContext(),
        let oracle = try? GEOSPointOracle(context: context, areas: areas.map { (id: $0.area, geometry: $0.geometry) })
    {
        baseline("Index/geos strtree+prepared (1k points an iteration)", maxIterations: 100) { c, out in
            try? oracle.covering(c, into: &out)
        }
    }
    let naive = NaiveLocator(areas: areas)
    baseline("Index/naive bbox+scan (1k points an iteration)", maxIterations: 20) { c, out in naive.locate(c, into: &out) }
}
