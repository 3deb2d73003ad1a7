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

    @Test func segmentsMatchGEOSIntersects() throws {
        var checked = 0, touched = 0
        for (areas, seedRng) in Self.zoneSets() {
            var rng = seedRng
            let index = Self.index(areas)
            let context = try GEOSContext()
            let geos = try areas.map { try context.geometry($0) }
            let points = RandomPolygonTests.points(&rng, areas, count: 400)
            for k in stride(from: 0, to: points.count - 1, by: 2) {
                let a = points[k], b = points[k + 1]
                var hits: [ZoneHit] = []
                index.zones(touchingSegment: a, b, into: &hits)
                let mine = Set(hits.map(\.zone))
                let line = a == b ? try context.point(a) : try context.lineString([a, b])
                var truth = Set<UInt32>()
                for (z, g) in geos.enumerated() where try g.intersects(line) { truth.insert(UInt32(z)) }
                #expect(mine == truth, "segment \(a) → \(b): index \(mine.sorted()) GEOS \(truth.sorted())")
                checked += 1
                touched += truth.count
            }
        }
        #expect(checked > 2000 && touched > 500)
    }

    @Test func disksMatchGEOSDistance() throws {
        var checked = 0, touched = 0, ties = 0
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
                    }
                    if d <= r { touched += 1 }
                }
                checked += 1
            }
        }
        #expect(checked > 2500 && touched > 500 && ties < checked / 100)
    }
}
