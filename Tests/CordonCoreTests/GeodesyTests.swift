#if canImport(Glibc)
import Glibc
#endif
import CordonCore
import CordonTestSupport
import Testing

@Suite struct GeodesyTests {
    /// Published pairs (eviltransform's test table and coordtransform's README): WGS84 → GCJ-02.
    static let pairs: [(wgs: Coordinate, gcj: Coordinate)] = [
        (Coordinate(longitude: 121.5272106, latitude: 31.1774276), Coordinate(longitude: 121.531541859215, latitude: 31.17530398364597)),
        (Coordinate(longitude: 113.912316, latitude: 22.543847), Coordinate(longitude: 113.9171764808363, latitude: 22.540796131694766)),
        (Coordinate(longitude: 116.377817, latitude: 39.911954), Coordinate(longitude: 116.38404722455657, latitude: 39.91334545536069)),
        (Coordinate(longitude: 116.404, latitude: 39.915), Coordinate(longitude: 116.41024449916938, latitude: 39.91640428150164)),
    ]

    @Test func gcj02ForwardMatchesPublishedPairs() {
        for (wgs, gcj) in Self.pairs {
            let f = GCJ02.wgs84ToGCJ02(wgs)
            #expect(abs(f.longitude - gcj.longitude) < 1e-9 && abs(f.latitude - gcj.latitude) < 1e-9, "\(wgs)")
            // The offset is the advertised 300–700 m.
            let offset = Geodesic.distance(wgs, gcj)
            #expect(offset > 300 && offset < 700)
        }
    }

    @Test func gcj02InverseIsWithinOneCentimetre() {
        for (wgs, gcj) in Self.pairs {
            #expect(Geodesic.distance(GCJ02.gcj02ToWGS84(gcj), wgs) < 0.01)
        }
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<5000 {
            let w = Coordinate(longitude: 75 + next() * 60, latitude: 18 + next() * 35)
            let back = GCJ02.gcj02ToWGS84(GCJ02.wgs84ToGCJ02(w))
            #expect(Geodesic.distance(back, w) < 0.01)
        }
        let paris = Coordinate(longitude: 2.35, latitude: 48.85)
        #expect(GCJ02.wgs84ToGCJ02(paris) == paris && GCJ02.gcj02ToWGS84(paris) == paris)
    }

    @Test func projectionRoundTripsAndKeepsRadialDistances() {
        let center = Coordinate(longitude: 116.4, latitude: 39.9)
        let projection = LocalProjection(center: center, radius: WGS84.authalicRadius)
        for azimuth in stride(from: 0.0, to: 360, by: 15) {
            for distance in [10.0, 1_000, 50_000] {
                let p = Geodesic.destination(from: center, azimuth: azimuth, distance: distance)
                let xy = projection.forward(p)
                let back = projection.inverse(x: xy.x, y: xy.y)
                #expect(abs(back.longitude - p.longitude) < 1e-10 && abs(back.latitude - p.latitude) < 1e-10)
                // Radial distance on the sphere vs the ellipsoid: within 0.5 %.
                let planar = (xy.x * xy.x + xy.y * xy.y).squareRoot()
                #expect(abs(planar - distance) / distance < 0.005)
            }
        }
    }

    @Test func sphericalAreaOfOneDegreeCell() {
        let cell = MultiPolygon([Polygon(exterior: Ring([
            Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 1, latitude: 0),
            Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 0, latitude: 1), Coordinate(longitude: 0, latitude: 0),
        ]))])
        // 1°×1° at the equator ≈ 12,364 km² (authalic sphere).
        #expect(abs(sphericalArea(cell) / 1e6 - 12_364) < 15)
    }
}

/// `sinCosDegrees` against the C library's sin and cos of the angle in radians.
@Suite struct SinCosDegreesTests {
    @Test func agreesWithTheCLibraryWithin4e16() {
        var state: UInt64 = 5
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var angles: [Double] = [0, -0.0, 1e-300, 45, -45, 44.999999999999, 45.000000000001, 135, 359.99999999, 720, -1080, 1e8 + 0.5]
        for _ in 0..<200_000 { angles.append((next() - 0.5) * 1440) }
        for _ in 0..<20_000 { angles.append((next() - 0.5) * 2e9) }
        for k in -8...8 { angles.append(Double(k) * 90 + (next() - 0.5) * 1e-9) }
        var worst = 0.0
        for a in angles {
            let r = a * .pi / 180
            let (s, c) = sinCosDegrees(a)
            // The reference's own argument a·π/180 is rounded: allow that rounding's effect.
            let slack = 4e-16 + abs(r) * 3e-16
            worst = max(worst, abs(s - sin(r)), abs(c - cos(r)))
            #expect(abs(s - sin(r)) <= slack && abs(c - cos(r)) <= slack, "\(a)°: \(s) \(c) against \(sin(r)) \(cos(r))")
        }
        #expect(worst > 0)  // the comparison is live
    }

    @Test func rightAnglesAreExact() {
        for k in -12...12 {
            let (s, c) = sinCosDegrees(Double(k) * 90)
            let m = ((k % 4) + 4) % 4
            #expect(s == [0, 1, 0, -1][m] && c == [1, 0, -1, 0][m], "\(k * 90)°")
        }
        #expect(sinCosDegrees(.infinity).sin.isNaN && sinCosDegrees(.nan).cos.isNaN)
    }

    /// `cosDegrees` is `sinCosDegrees(…).cos` bit for bit, in every quadrant and beyond ±1e9°.
    @Test func cosineAloneIsTheSameBits() {
        var state: UInt64 = 11
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var angles: [Double] = [0, -0.0, 45, -45, 90, -90, 135, 180, 225, 270, 315, 1e9, -2e9, .infinity, .nan]
        for _ in 0..<100_000 { angles.append((next() - 0.5) * 1440) }
        for k in -8...8 { angles.append(Double(k) * 45 + (next() - 0.5) * 1e-9) }
        for a in angles {
            let c = sinCosDegrees(a).cos
            #expect(cosDegrees(a).bitPattern == c.bitPattern || (c.isNaN && cosDegrees(a).isNaN), "\(a)°")
        }
    }
}
