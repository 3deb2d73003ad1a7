#if canImport(Glibc)
import Glibc
#endif
import CordonCore
import CordonGEOS
import CordonIndex
import CordonTestSupport
import Testing

/// The index against GEOS on a real map: Natural Earth's 177 countries (1:110m), whose rings
/// meet the antimeridian (Russia, Fiji) and the south pole (Antarctica), share borders (a
/// point on a border is in both countries) and include one self-intersecting ring (Sudan's,
/// given to both sides as GEOS MakeValid repairs it, as `zones import --repair` does).
@Suite struct RealMapTests {
    /// The countries, Sudan's ring repaired as import repairs it.
    static func countries(_ context: GEOSContext) throws -> (areas: [MultiPolygon], repaired: Int) {
        var areas: [MultiPolygon] = []
        var repaired = 0
        for zone in try Fixtures.naturalEarthCountries() {
            if try context.validityProblem(zone.geometry) != nil {
                areas.append(try context.repair(zone.geometry).geometry)
                repaired += 1
            } else {
                areas.append(zone.geometry)
            }
        }
        return (areas, repaired)
    }

    @Test func naturalEarthCountriesMatchGEOS() throws {
        let (areas, repaired) = try Self.countries(try GEOSContext())
        #expect(areas.count == 177 && repaired == 1)
        var rng = RandomPolygonTests.Random(state: 110)
        // Points on and next to vertices and edges (shared borders among them), and anywhere on
        // the map, the antimeridian and the poles included.
        var pts = RandomPolygonTests.points(&rng, areas, count: 20_000)
        for k in 0...360 {
            let x = Double(k) - 180
            pts += [Coordinate(longitude: x, latitude: -90), Coordinate(longitude: x, latitude: 90), Coordinate(longitude: x, latitude: -85.6)]
            pts += [Coordinate(longitude: 180, latitude: Double(k) / 2 - 90), Coordinate(longitude: -180, latitude: Double(k) / 2 - 90)]
        }
        let tally = try RandomPolygonTests.compare(areas, pts)
        tally.report("Natural Earth countries, points")
        #expect(tally.checked > 20_000)
        #expect(tally.misses == 0 && tally.falsePositives == 0, "\(tally)")
    }

    /// Segments between such points, from a few metres to across the map, against GEOS
    /// intersects.
    @Test func naturalEarthSegmentsMatchGEOS() throws {
        let (areas, _) = try Self.countries(try GEOSContext())
        var rng = RandomPolygonTests.Random(state: 111)
        var points = RandomPolygonTests.points(&rng, areas, count: 3_000)
        // Half of the segments short: the second end a few kilometres or less from the first.
        for k in stride(from: 1, to: points.count, by: 4) {
            let a = points[k - 1], scale = pow(10, -5 * rng.next() - 1)
            let b = Coordinate(longitude: a.longitude + scale * (rng.next() - 0.5), latitude: a.latitude + scale * (rng.next() - 0.5))
            if b.isValid { points[k] = b }
        }
        let (tally, touched) = try TouchingQueryTests.compareSegments(areas, points)
        tally.report("Natural Earth countries, segments")
        #expect(tally.checked > 1_400 && touched > 1_000)
    }
}
