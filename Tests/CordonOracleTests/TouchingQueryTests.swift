#if canImport(Glibc)
import Glibc
#endif
import CordonCore
import CordonGEOS
import CordonIndex
import CordonTestSupport
import PropertyBased
import Testing

/// Segment (look-ahead) and disk (accuracy) queries against GEOS on random zone sets.
@Suite struct TouchingQueryTests {
    static func zoneSets() -> [(areas: [MultiPolygon], rng: RandomPolygonTests.Random)] {
        var source = Xoshiro(seed: (0x7365_676D, 0x6469_736B, 0x2026_1121, 7))
        return Gen.int(in: 1...Int.max).array(of: 25...25).run(using: &source).map { seed in
            var rng = RandomPolygonTests.Random(state: UInt64(seed))
            // Metric scales: a 30 m compound to a 30 km zone, around mid latitudes.
            let areas = RandomPolygonTests.zoneSet(&rng, logScale: -3.5...(-0.5), latitudes: -55...55, maxZones: 8)
            return (areas, rng)
        }
    }

    static func index(_ areas: [MultiPolygon]) -> ZoneIndex {
        ZoneIndex.Builder().build(zoneIDs: areas.indices.map(String.init), areas: areas.enumerated().map { (UInt32($0.offset) << 1, $0.element) })
    }

    /// The points taken two by two as segments: each with the index's hits and its GEOS
    /// geometry (a point when both ends are equal).
    static func segments(_ index: ZoneIndex, _ points: [Coordinate], _ context: GEOSContext) throws
        -> [(Coordinate, Coordinate, [ZoneHit], GEOSGeometryHandle)]
    {
        try stride(from: 0, to: points.count - 1, by: 2).map { k in
            let a = points[k], b = points[k + 1]
            var hits: [ZoneHit] = []
            index.zones(touchingSegment: a, b, into: &hits)
            return (a, b, hits, a == b ? try context.point(a) : try context.lineString([a, b]))
        }
    }

    /// Compares the index's segment answers (the points taken two by two) with GEOS intersects
    /// on `areas`, expecting each to be equal; returns the tally and how many zones GEOS found
    /// touched.
    static func compareSegments(_ areas: [MultiPolygon], _ points: [Coordinate]) throws -> (tally: OracleTally, touched: Int) {
        let index = Self.index(areas)
        let context = try GEOSContext()
        let geos = try areas.map { try context.geometry($0) }
        var tally = OracleTally(), touched = 0
        for (a, b, hits, line) in try Self.segments(index, points, context) {
            let mine = Set(hits.map(\.zone))
            var truth = Set<UInt32>()
            for (z, g) in geos.enumerated() where try g.intersects(line) { truth.insert(UInt32(z)) }
            #expect(mine == truth, "segment \(a) → \(b): index \(mine.sorted()) GEOS \(truth.sorted())")
            try tally.add(index: mine, geos: truth) { try geos[Int($0)].distance(to: line) }
            touched += truth.count
        }
        return (tally, touched)
    }

    @Test func segmentsMatchGEOSIntersects() throws {
        var tally = OracleTally(), touched = 0
        for (areas, seedRng) in Self.zoneSets() {
            var rng = seedRng
            let result = try Self.compareSegments(areas, RandomPolygonTests.points(&rng, areas, count: 400))
            tally.add(result.tally)
            touched += result.touched
        }
        tally.report("segments on 25 random zone sets")
        #expect(tally.checked > 2000 && touched > 500)
    }

    /// With approach areas beside the cores, a zone is reported as `.core` exactly when the
    /// segment touches its core, else as `.approach` when it touches its approach area. The
    /// approach here is the core's bounding box grown by a third, so many segments start in
    /// the approach and end in the core (or the reverse), and start points in a core lie in
    /// its approach too.
    @Test func segmentsReportCoreOverApproachAsGEOSDoes() throws {
        var checked = 0, cores = 0, approaches = 0
        for (areas, seedRng) in Self.zoneSets() {
            var rng = seedRng
            let approach = areas.map { core -> MultiPolygon in
                let b = core.boundingBox
                let gx = (b.maxLongitude - b.minLongitude) / 3, gy = (b.maxLatitude - b.minLatitude) / 3
                let (x0, y0, x1, y1) = (b.minLongitude - gx, b.minLatitude - gy, b.maxLongitude + gx, b.maxLatitude + gy)
                let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].map { Coordinate(longitude: $0.0, latitude: $0.1) }
                return MultiPolygon([Polygon(exterior: Ring(ring))])
            }
            var coded: [(UInt32, MultiPolygon)] = []
            for z in areas.indices {
                coded.append((UInt32(z) << 1, areas[z]))
                coded.append((UInt32(z) << 1 | 1, approach[z]))
            }
            let index = ZoneIndex.Builder().build(zoneIDs: areas.indices.map(String.init), areas: coded)
            let context = try GEOSContext()
            let geosCore = try areas.map { try context.geometry($0) }
            let geosApproach = try approach.map { try context.geometry($0) }
            for (a, b, hits, line) in try Self.segments(index, RandomPolygonTests.points(&rng, areas, count: 200), context) {
                let mine = Set(hits.map { "\($0.zone)\($0.kind == .core ? "c" : "a")" })
                var truth = Set<String>()
                for z in areas.indices {
                    if try geosCore[z].intersects(line) {
                        truth.insert("\(z)c")
                        cores += 1
                    } else if try geosApproach[z].intersects(line) {
                        truth.insert("\(z)a")
                        approaches += 1
                    }
                }
                #expect(mine == truth, "segment \(a) → \(b): index \(mine.sorted()) GEOS \(truth.sorted())")
                // The zone numbers the engine asks for: once a zone is settled (by an area
                // containing the start or by an edge), its other area's edges are skipped.
                var zones: [UInt32] = []
                index.collectZones(touchingSegment: a, b, into: &zones)
                #expect(Set(zones) == Set(hits.map(\.zone)), "segment \(a) → \(b): zones \(Set(zones).sorted())")
                checked += 1
            }
        }
        #expect(checked > 2000 && cores > 300 && approaches > 300)
    }

    @Test func disksMatchGEOSDistance() throws {
        var checked = 0, touched = 0, ties = 0, misses = 0, falsePositives = 0
        for (areas, seedRng) in Self.zoneSets() {
            var rng = seedRng
            let index = Self.index(areas)
            let context = try GEOSContext()
            let points = RandomPolygonTests.points(&rng, areas, count: 120)
            let extent = areas.reduce(BoundingBox.empty) { var b = $0; b.extend($1.boundingBox); return b }
            let metres = (extent.maxLatitude - extent.minLatitude) * 111_000
            for c in points {
                let r = metres * pow(10, -2 * rng.next())
                var hits: [ZoneHit] = []
                index.zones(touchingDisk: c, radiusMeters: r, into: &hits)
                let mine = Set(hits.map(\.zone))
                // GEOS on the same projected geometry: the centre's azimuthal equidistant plane.
                let plane = LocalProjection(center: c, radius: WGS84.authalicRadius)
                let origin = try context.point(Coordinate(longitude: 0, latitude: 0))
                for (z, area) in areas.enumerated() {
                    let projected = area.mapCoordinates { p in let xy = plane.forward(p); return Coordinate(longitude: xy.x, latitude: xy.y) }
                    let d = try context.geometry(projected).distance(to: origin)
                    let inIndex = mine.contains(UInt32(z))
                    if abs(d - r) <= 1e-6 * max(1, r) {
                        ties += 1  // at the rim: either answer is within rounding
                    } else {
                        #expect(inIndex == (d <= r), "disk \(c) r \(r): zone \(z) at \(d) m, index says \(inIndex)")
                        if inIndex != (d <= r) {
                            if inIndex { falsePositives += 1 } else { misses += 1 }
                        }
                    }
                    if d <= r { touched += 1 }
                }
                checked += 1
            }
        }
        print("oracle: disks on 25 random zone sets: \(checked) checked, \(misses) misses, \(falsePositives) false positives, \(ties) zones within rounding of the rim (either answer)")
        #expect(checked > 2500 && touched > 500 && ties < checked / 100)
    }
}
