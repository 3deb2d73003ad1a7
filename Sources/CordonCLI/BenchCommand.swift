import ArgumentParser
import Cordon
import CordonGEOS
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Point-location throughput: Cordon (batch, single) vs GEOS vs a naive scan, in one run.",
        discussion: """
            Without files it uses the bundled sample zones and 200,000 generated points (inside, near \
            edges, on vertices, around). GEOS runs on up to 200,000 points and the naive scan on up to \
            20,000 (they are slow); their rates are per point. Everything runs on one core.
            """)

    @Option(help: "Zone file (default: zones/sample.geojson).") var zones: String?
    @Flag(help: "Repair invalid geometry in --zones with GEOS MakeValid, as `zones import --repair` does.") var repair = false
    @Option(help: "Use a stored zone set instead of a zone file: the database (with --set, the set).") var db: String?
    @Option(name: .customLong("set"), help: "Zone set in --db (default: the only one).") var setName: String?
    @Option(help: "Points CSV with id, lat, lon (default: generated around the zones).") var points: String?
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Option(help: "Timed repetitions of the Cordon passes (best is kept).") var repeats: Int = 3
    @Flag(help: .hidden) var cordonOnly = false  // for instruction counts (Benchmarks/callgrind.sh)
    @Flag(help: "Also print what the queries cost in the index (levels, entries, edges per point).") var profile = false

    func validate() throws {
        if db != nil && zones != nil { throw ValidationError("give --zones or --db, not both") }
        if setName != nil && db == nil { throw ValidationError("--set needs --db") }
        if repair && zones == nil { throw ValidationError("--repair applies to --zones (stored sets were validated on import)") }
    }

    func run() throws {
        let zonesPath = db ?? zones ?? "zones/sample.geojson"
        let set =
            if let db { try ZoneSourceOptions.storedSet(db: db, setName: setName, version: nil) } else {
                try ZoneSourceOptions.fileSet(zonesPath, name: zonesPath, repair: repair)
            }
        let areas = ZoneIndex.areas(of: set)
        let clock = ContinuousClock()
        var index: ZoneIndex?
        let buildTime = clock.measure { index = ZoneIndex.Builder().build(set) }
        guard let index else { return }
        let loaded: [Coordinate]
        if let points {
            do { loaded = try PointsCSV.read(try readFileBytes(points, limit: 8 << 30), file: points).coordinates } catch {
                throw CLIExit.invalid(error.description)
            }
        } else {
            loaded = Self.generatedPoints(set, count: 200_000)
        }
        let coordinates = loaded
        let n = coordinates.count
        guard n > 0 else { throw CLIExit.invalid("error: no points") }
        if profile { writeStdout(Self.profileText(index, coordinates)) }

        // Cordon batch: 16 hit slots per point; points with more are asked again singly.
        let stride = 16
        var counts = [UInt32](repeating: 0, count: n)
        var hitBuffer = [ZoneHit](repeating: ZoneHit(zone: 0, kind: .core), count: n * stride)
        var batchBest = Duration.seconds(1_000_000)
        var batchHits = 0
        for _ in 0..<max(1, repeats) {
            var overflow: [ZoneHit] = []
            let t = clock.measure {
                coordinates.withUnsafeBufferPointer { pts in
                    counts.withUnsafeMutableBufferPointer { cnt in
                        hitBuffer.withUnsafeMutableBufferPointer { hb in
                            index.locate(batch: pts, stride: stride, counts: cnt, hits: hb)
                        }
                    }
                }
                batchHits = 0
                for i in 0..<n {
                    batchHits += Int(counts[i])
                    if counts[i] > UInt32(stride) {
                        overflow.removeAll(keepingCapacity: true)
                        index.locate(coordinates[i], into: &overflow)
                    }
                }
            }
            batchBest = min(batchBest, t)
        }
        func rate(_ count: Int, _ d: Duration) -> Double { Double(count) / max(d.seconds, 1e-9) }
        // Cordon single.
        var singleBest = Duration.seconds(1_000_000)
        var singleHits = 0
        var hits: [ZoneHit] = []
        hits.reserveCapacity(256)
        for _ in 0..<max(1, repeats) {
            let t = clock.measure {
                singleHits = 0
                for c in coordinates {
                    hits.removeAll(keepingCapacity: true)
                    index.locate(c, into: &hits)
                    singleHits += hits.count
                }
            }
            singleBest = min(singleBest, t)
        }
        if cordonOnly {
            writeStdout(String(format: "cordon batch %@ points/s, single %@ points/s; index %.2f s, %@ bytes\n",
                               Int(rate(n, batchBest)).grouped, Int(rate(n, singleBest)).grouped, buildTime.seconds, index.memoryBytes.grouped))
            return
        }
        // GEOS: STRtree + prepared geometry, a point made per query.
        let geosCount = min(n, 200_000)
        let context = try GEOSContext()
        let oracle = try GEOSPointOracle(context: context, areas: areas.map { (id: $0.area, geometry: $0.geometry) })
        var geosAnswers: [[UInt32]] = []
        geosAnswers.reserveCapacity(geosCount)
        var out: [UInt32] = []
        let geosTime = try clock.measure {
            for k in 0..<geosCount {
                out.removeAll(keepingCapacity: true)
                try oracle.covering(coordinates[k], into: &out)
                geosAnswers.append(out)
            }
        }
        // Naive: bounding boxes, then every edge.
        let naiveCount = min(n, 20_000)
        let naive = NaiveLocator(areas: areas)
        var naiveOut: [UInt32] = []
        let naiveTime = clock.measure {
            for k in 0..<naiveCount {
                naiveOut.removeAll(keepingCapacity: true)
                naive.locate(coordinates[k], into: &naiveOut)
            }
        }
        // Cordon against GEOS on the points GEOS answered, as `locate` answers: per zone, core
        // when GEOS finds the point in the core, else approach when in the approach polygon.
        // (Not "a core hit implies the approach area": an approach polygon need not contain its
        // whole core, e.g. where a buffer meets the antimeridian, docs/semantics.md.)
        var mismatches = 0
        for k in 0..<geosCount {
            let mine = index.locate(coordinates[k]).map { $0.zone << 1 | UInt32($0.kind.rawValue) }.sorted()
            let cores = Set(geosAnswers[k].filter { $0 & 1 == 0 })
            let truth = geosAnswers[k].filter { $0 & 1 == 0 || !cores.contains($0 & ~1) }.sorted()
            if mine != truth { mismatches += 1 }
        }

        let batchRate = rate(n, batchBest), singleRate = rate(n, singleBest)
        let geosRate = rate(geosCount, geosTime), naiveRate = rate(naiveCount, naiveTime)
        let vertices = areas.reduce(0) { $0 + $1.geometry.vertexCount }
        if json {
            let object: JSONValue = .object([
                JSONMember("zones_file", .string(zonesPath)), JSONMember("zones", .number(Double(set.entries.count))),
                JSONMember("areas", .number(Double(areas.count))), JSONMember("vertices", .number(Double(vertices))),
                JSONMember("points", .number(Double(n))),
                JSONMember("cordon_batch_points_per_s", .number(batchRate.rounded())),
                JSONMember("cordon_single_points_per_s", .number(singleRate.rounded())),
                JSONMember("geos_points_per_s", .number(geosRate.rounded())),
                JSONMember("naive_points_per_s", .number(naiveRate.rounded())),
                JSONMember("ratio_vs_geos", .number((batchRate / geosRate * 100).rounded() / 100)),
                JSONMember("ratio_single_vs_geos", .number((singleRate / geosRate * 100).rounded() / 100)),
                JSONMember("ratio_vs_naive", .number((batchRate / naiveRate * 100).rounded() / 100)),
                JSONMember("geos_points", .number(Double(geosCount))), JSONMember("naive_points", .number(Double(naiveCount))),
                JSONMember("mismatches_vs_geos", .number(Double(mismatches))),
                JSONMember("index_build_s", .number((buildTime.seconds * 1e4).rounded() / 1e4)),
                JSONMember("index_bytes", .number(Double(index.memoryBytes))),
                JSONMember("index_bytes_per_vertex", .number((Double(index.memoryBytes) / Double(max(1, vertices)) * 100).rounded() / 100)),
                JSONMember("hits", .number(Double(batchHits))),
            ])
            writeStdout(JSONWriter().string(object) + "\n")
            return
        }
        func fmt(_ r: Double) -> String { (Int(r.rounded())).grouped }
        func ratio(_ r: Double) -> String { String(format: "%.1f×", r) }
        var text = "zones \(set.entries.count.grouped) (\(areas.count.grouped) areas, \(vertices.grouped) vertices), points \(n.grouped)\n"
        text += String(format: "index: built in %.3f s, %@ bytes (%.1f bytes/vertex)\n", buildTime.seconds,
                       index.memoryBytes.grouped, Double(index.memoryBytes) / Double(max(1, vertices)))
        let st = index.statistics
        text += "index: \(st.rootCells.grouped) root cells, \(st.internalNodes.grouped) internal nodes, \(st.leaves.grouped) leaves, \(st.entries.grouped) entries, \(st.edgeCopies.grouped) edge copies\n"
        text += table([
            ["method", "points", "points/s", "vs GEOS", "vs naive"],
            ["cordon batch", n.grouped, fmt(batchRate), ratio(batchRate / geosRate), ratio(batchRate / naiveRate)],
            ["cordon single", n.grouped, fmt(singleRate), ratio(singleRate / geosRate), ratio(singleRate / naiveRate)],
            ["geos strtree+prepared", geosCount.grouped, fmt(geosRate), ratio(1), ratio(geosRate / naiveRate)],
            ["naive bbox+scan", naiveCount.grouped, fmt(naiveRate), ratio(naiveRate / geosRate), ratio(1)],
        ])
        text += "cordon vs GEOS on \(geosCount.grouped) points: \(mismatches) mismatch(es)\n"
        writeStdout(text)
        if mismatches > 0 { throw CLIExit.invalid("error: Cordon and GEOS disagree on \(mismatches) point(s)") }
    }

    /// Means and a histogram of the per-point work in the index.
    static func profileText(_ index: ZoneIndex, _ points: [Coordinate]) -> String {
        var depth = 0, full = 0, entries = 0, edges = 0, empty = 0, noTest = 0
        var histogram = [Int](repeating: 0, count: 8)  // edges read: 0, 1–8, 9–16, 17–32, 33–64, 65–128, 129–256, more
        for c in points {
            let cost = index.cost(of: c)
            depth += cost.depth
            full += cost.fullAreas
            entries += cost.partialEntries
            edges += cost.edges
            if cost.fullAreas == 0 && cost.partialEntries == 0 { empty += 1 } else if cost.partialEntries == 0 { noTest += 1 }
            histogram[[0, 8, 16, 32, 64, 128, 256].firstIndex { cost.edges <= $0 } ?? 7] += 1
        }
        let n = Double(max(1, points.count))
        var text = String(format: "profile: per point %.2f levels, %.2f full areas, %.2f partial entries, %.2f edges\n",
                          Double(depth) / n, Double(full) / n, Double(entries) / n, Double(edges) / n)
        text += String(format: "profile: %.1f%% in no leaf, %.1f%% answered without a test\n", Double(empty) / n * 100, Double(noTest) / n * 100)
        let labels = ["0", "1-8", "9-16", "17-32", "33-64", "65-128", "129-256", ">256"]
        text += "profile: edges read " + zip(labels, histogram).map { String(format: "%@: %.1f%%", $0, Double($1) / n * 100) }.joined(separator: ", ") + "\n"
        return text
    }

    /// Deterministic points around the zones: near centres, on vertices, near edges, anywhere.
    static func generatedPoints(_ set: ZoneSet, count: Int) -> [Coordinate] {
        var state: UInt64 = 0x5EED
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var box = BoundingBox.empty
        for e in set.entries { box.extend(e.approach.boundingBox) }
        let vertices = set.entries.flatMap { $0.zone.geometry.allCoordinates + $0.approach.allCoordinates }
        var out: [Coordinate] = []
        out.reserveCapacity(count)
        while out.count < count {
            let kind = next()
            if kind < 0.1, !vertices.isEmpty {
                out.append(vertices[Int(next() * Double(vertices.count)) % vertices.count])
            } else if kind < 0.4, !vertices.isEmpty {
                let v = vertices[Int(next() * Double(vertices.count)) % vertices.count]
                out.append(Coordinate(longitude: v.longitude + (next() - 0.5) * 4e-4, latitude: v.latitude + (next() - 0.5) * 4e-4))
            } else {
                out.append(Coordinate(
                    longitude: box.minLongitude + next() * (box.maxLongitude - box.minLongitude),
                    latitude: box.minLatitude + next() * (box.maxLatitude - box.minLatitude)))
            }
        }
        return out
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
