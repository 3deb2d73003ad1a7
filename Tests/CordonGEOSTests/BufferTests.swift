#if canImport(Glibc)
import Glibc
#endif
import CordonCore
import CordonGEOS
import CordonTestSupport
import Testing

/// The approach polygon contains every point within the buffer distance (geodesic, WGS84,
/// measured with Vincenty) and nothing beyond the documented bound (docs/semantics.md).
@Suite struct BufferTests {
    /// Outward overshoot bound for the default style (docs/semantics.md): twice the 4 %
    /// simplification tolerance, 1 % for GEOS's own buffer-input simplifier, 0.5 % for arc
    /// chords, 0.7 % for the ellipsoid's radii; the projection stretch is below 0.01 % here.
    /// (1.08 × 1.01 × 1.0048 × 1.0068 = 1.1035.)
    static let overshoot = 1.105

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var center: Coordinate
        var radiusMeters: Double
        var vertices: Int
        var spiky: Bool
        var buffer: Double
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "Beijing compound, 500 m", center: Coordinate(longitude: 116.4, latitude: 39.9), radiusMeters: 300, vertices: 40, spiky: false, buffer: 500),
        Case(label: "spiky compound, 200 m", center: Coordinate(longitude: 121.47, latitude: 31.23), radiusMeters: 800, vertices: 120, spiky: true, buffer: 200),
        Case(label: "equator, 300 m", center: Coordinate(longitude: 30, latitude: 0.2), radiusMeters: 2_000, vertices: 30, spiky: false, buffer: 300),
        Case(label: "high latitude, 500 m", center: Coordinate(longitude: 25, latitude: 65), radiusMeters: 1_500, vertices: 30, spiky: false, buffer: 500),
        Case(label: "large zone, 100 m", center: Coordinate(longitude: 104, latitude: 30.6), radiusMeters: 35_000, vertices: 400, spiky: true, buffer: 100),
        Case(label: "tiny zone, 1 km", center: Coordinate(longitude: 113.3, latitude: 23.1), radiusMeters: 25, vertices: 8, spiky: false, buffer: 1_000),
    ]

    /// A star-shaped ring around `center`, vertices placed with Vincenty.
    static func ring(_ c: Case) -> MultiPolygon {
        var coords: [Coordinate] = []
        for k in 0..<c.vertices {
            let azimuth = Double(k) * 360 / Double(c.vertices)
            let r = c.spiky ? c.radiusMeters * (k % 2 == 0 ? 1 : 0.45) : c.radiusMeters * (1 + 0.2 * sin(3 * azimuth * .pi / 180))
            coords.append(Geodesic.destination(from: c.center, azimuth: azimuth, distance: r))
        }
        coords.append(coords[0])
        return MultiPolygon([Polygon(exterior: Ring(coords)).normalized()])
    }

    @Test(arguments: cases)
    func containsEveryPointWithinTheBufferAndNothingFar(_ c: Case) throws {
        let context = try GEOSContext()
        let zone = Self.ring(c)
        let approach = try context.approach(of: zone, meters: c.buffer)
        #expect(try context.validityProblem(approach) == nil)
        let approachGEOS = try context.geometry(approach)
        let ring = zone.polygons[0].exterior.coordinates
        var checked = 0
        for k in 0..<(ring.count - 1) {
            // Outward normal at the edge midpoint (exterior is counter-clockwise: outward is to the right).
            let a = ring[k], b = ring[k + 1]
            let mid = Coordinate(longitude: (a.longitude + b.longitude) / 2, latitude: (a.latitude + b.latitude) / 2)
            let edgeAzimuth = atan2((b.longitude - a.longitude) * cos(mid.latitude * .pi / 180), b.latitude - a.latitude) * 180 / .pi
            let outward = edgeAzimuth + 90
            for fraction in [0.5, 0.9, 0.99, 0.999] {
                let p = Geodesic.destination(from: mid, azimuth: outward, distance: c.buffer * fraction)
                #expect(try approachGEOS.intersects(context.point(p)), "\(c.label): \(fraction) d from edge \(k) is outside")
                checked += 1
            }
            // Vertices are on the zone boundary: every direction within the buffer is covered.
            for azimuth in stride(from: 0.0, to: 360, by: 45) {
                let p = Geodesic.destination(from: a, azimuth: azimuth, distance: c.buffer * 0.995)
                #expect(try approachGEOS.intersects(context.point(p)), "\(c.label): vertex \(k) az \(azimuth) is outside")
            }
        }
        #expect(checked > 0)
        // Far points: beyond the bound from the nearest zone vertex and edge, along the outward normal
        // of convex (outer) vertices of the star, nothing is covered.
        // Candidates: radially out from each vertex and along each edge's outward normal, at the
        // bound plus a metre; each is checked when it really is that far from the zone.
        var candidates: [Coordinate] = []
        for k in 0..<(ring.count - 1) {
            let v = ring[k], w = ring[k + 1]
            let radial = atan2((v.longitude - c.center.longitude) * cos(c.center.latitude * .pi / 180), v.latitude - c.center.latitude) * 180 / .pi
            candidates.append(Geodesic.destination(from: v, azimuth: radial, distance: c.buffer * Self.overshoot + 1))
            let mid = Coordinate(longitude: (v.longitude + w.longitude) / 2, latitude: (v.latitude + w.latitude) / 2)
            let edgeAzimuth = atan2((w.longitude - v.longitude) * cos(mid.latitude * .pi / 180), w.latitude - v.latitude) * 180 / .pi
            candidates.append(Geodesic.destination(from: mid, azimuth: edgeAzimuth + 90, distance: c.buffer * Self.overshoot + 1))
        }
        var farChecked = 0
        for far in candidates {
            let distanceToZone = try minimumDistance(far, ring)
            guard distanceToZone >= c.buffer * Self.overshoot else { continue }
            #expect(try !approachGEOS.intersects(context.point(far)), "\(c.label): point \(far) \(distanceToZone) m away is covered")
            farChecked += 1
        }
        #expect(farChecked >= c.vertices / 2, "\(c.label): only \(farChecked) far points checked")
    }

    /// A zone whose east side lies on the antimeridian: its buffer reaches past +180°, which
    /// is cut there and continued from -180° (it used to come back wrapped into edges jumping
    /// across the map, and the repaired polygon missed part of the zone itself). Two zones in
    /// one, on both sides of the seam, are measured as the one place they are.
    @Test func bufferAcrossTheAntimeridianContinuesOnTheOtherSide() throws {
        let context = try GEOSContext()
        func square(_ x0: Double, _ x1: Double) -> Polygon {
            Polygon(exterior: Ring([(x0, 0.0), (x1, 0.0), (x1, 0.1), (x0, 0.1), (x0, 0.0)].map { Coordinate(longitude: $0.0, latitude: $0.1) }))
        }
        let east = MultiPolygon([square(179.9, 180)])
        let both = MultiPolygon([square(179.9, 180), square(-180, -179.95)], isMulti: true)
        for zone in [east, both] {
            let approach = try context.approach(of: zone, meters: 100)
            #expect(try context.validityProblem(approach) == nil)
            for p in approach.polygons {
                for r in [p.exterior] + p.holes {
                    for (a, b) in zip(r.coordinates, r.coordinates.dropFirst()) {
                        #expect(abs(a.longitude - b.longitude) <= 180, "an edge from \(a) to \(b) jumps across the map")
                    }
                }
            }
            let area = try context.geometry(approach)
            func inside(_ lon: Double, _ lat: Double) throws -> Bool { try area.intersects(try context.point(Coordinate(longitude: lon, latitude: lat))) }
            // The whole zone, and 50 m past the seam (0.00045° at the equator) on the other side.
            for (lon, lat) in [(179.9, 0.0), (179.95, 0.05), (180.0, 0.1), (180.0, 0.0), (-179.9996, 0.05), (-179.9996, -0.0004)] {
                #expect(try inside(lon, lat), "\(lon), \(lat)")
            }
            // Past the bound on the far side of the seam: 300 m and more beyond the east square.
            if zone == east { #expect(try !inside(-179.997, 0.05)) }
            #expect(try !inside(179.9, 0.2))
        }
    }

    /// A zone around a pole, drawn as Natural Earth draws Antarctica (its coast from +180° to
    /// -180°, closed along the antimeridian and the pole's parallel), and its mirror image
    /// around the north pole: the buffer ring winds around the pole, and the approach area is
    /// the cap it bounds, cut at the antimeridian. It used to come back with an edge across the
    /// whole map, repaired into a polygon that missed the zone's own interior.
    @Test(arguments: [-1.0, 1.0]) func bufferAroundAPoleIsTheCapItBounds(hemisphere: Double) throws {
        let context = try GEOSContext()
        func coast(_ lon: Double) -> Double { hemisphere * (70 - 2 * sin(3 * lon * .pi / 180)) }
        let pole = hemisphere * 90
        var ring = [Coordinate(longitude: -180, latitude: pole), Coordinate(longitude: 180, latitude: pole)]
        for k in stride(from: 360, through: 0, by: -1) {
            let lon = Double(k) - 180
            ring.append(Coordinate(longitude: lon, latitude: coast(lon)))
        }
        ring.append(ring[0])
        if hemisphere > 0 { ring.reverse() }  // counter-clockwise in both hemispheres
        let zone = MultiPolygon([Polygon(exterior: Ring(ring))])
        let approach = try context.approach(of: zone, meters: 1_000)
        #expect(try context.validityProblem(approach) == nil)
        for p in approach.polygons {
            for r in [p.exterior] + p.holes {
                // Only the closing edge along the pole's parallel spans the map.
                for (a, b) in zip(r.coordinates, r.coordinates.dropFirst()) where a.latitude != pole || b.latitude != pole {
                    #expect(abs(a.longitude - b.longitude) <= 180, "an edge from \(a) to \(b) jumps across the map")
                }
            }
        }
        #expect(approach.polygons.count == 1)
        let area = try context.geometry(approach)
        #expect(try area.covers(try context.geometry(zone)), "the approach area covers the zone")
        func inside(_ lon: Double, _ lat: Double) throws -> Bool { try area.intersects(try context.point(Coordinate(longitude: lon, latitude: lat))) }
        for lon in [-180, -179.9999, -120, -45.5, 0, 33.3, 90, 179.9999, 180] {
            let c = coast(lon)
            // The pole, the interior, the coast, 500 m past it (0.0045° of latitude): inside.
            for lat in [pole, hemisphere * 85, c + hemisphere * 0.01, c, c - hemisphere * 0.0045] {
                #expect(try inside(lon, lat), "\(lon), \(lat)")
            }
            // 5 km past the coast (0.045°), well beyond 1 km and its conservative margins: outside.
            #expect(try !inside(lon, c - hemisphere * 0.045), "\(lon), \(c - hemisphere * 0.045)")
        }
    }

    @Test func zeroBufferIsTheZoneItself() throws {
        let context = try GEOSContext()
        let zone = Self.ring(Self.cases[0])
        #expect(try context.approach(of: zone, meters: 0) == zone)
    }

    /// Distance in metres from `p` to the ring: exact point-to-segment distance in an azimuthal
    /// equidistant plane centred on `p` (radial distances there are geodesic to < 0.5 %), then
    /// refined with Vincenty at the nearest point found.
    func minimumDistance(_ p: Coordinate, _ ring: [Coordinate]) throws -> Double {
        let plane = LocalProjection(center: p, radius: WGS84.authalicRadius)
        var best = Double.infinity
        var bestPoint = p
        for k in 0..<(ring.count - 1) {
            // Densify long edges so each planar piece follows the lon/lat-straight edge closely.
            let a0 = ring[k], b0 = ring[k + 1]
            let pieces = max(1, Int(sphericalDistance(a0, b0) / 200))
            for s in 0..<pieces {
                func at(_ t: Double) -> Coordinate {
                    Coordinate(longitude: a0.longitude + (b0.longitude - a0.longitude) * t, latitude: a0.latitude + (b0.latitude - a0.latitude) * t)
                }
                let a = at(Double(s) / Double(pieces)), b = at(Double(s + 1) / Double(pieces))
                let pa = plane.forward(a), pb = plane.forward(b)
                let dx = pb.x - pa.x, dy = pb.y - pa.y
                let len2 = dx * dx + dy * dy
                let t = len2 == 0 ? 0 : max(0, min(1, -(pa.x * dx + pa.y * dy) / len2))
                let x = pa.x + t * dx, y = pa.y + t * dy
                let d = (x * x + y * y).squareRoot()
                if d < best { best = d; bestPoint = plane.inverse(x: x, y: y) }
            }
        }
        return Geodesic.distance(p, bestPoint)
    }
}
