#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Geodesy on the WGS84 ellipsoid, written for what Cordon needs: local metric projections
// for buffering, zone areas for the size limit, and short distances. Pure and Sendable.

/// WGS84 ellipsoid constants and local radii of curvature. Stateless; `Sendable`.
public enum WGS84 {
    public static let semiMajorAxis = 6_378_137.0
    public static let flattening = 1 / 298.257_223_563
    public static let eccentricitySquared = flattening * (2 - flattening)
    /// Radius of the sphere with the ellipsoid's surface area (metres).
    public static let authalicRadius = 6_371_007.180_918_5

    /// Meridional radius of curvature M(φ) in metres.
    public static func meridionalRadius(latitude: Double) -> Double {
        let s = sin(latitude * .pi / 180)
        let w = 1 - eccentricitySquared * s * s
        return semiMajorAxis * (1 - eccentricitySquared) / (w * w.squareRoot())
    }

    /// Prime-vertical radius of curvature N(φ) in metres.
    public static func primeVerticalRadius(latitude: Double) -> Double {
        let s = sin(latitude * .pi / 180)
        return semiMajorAxis / (1 - eccentricitySquared * s * s).squareRoot()
    }

    /// The smallest radius of curvature, in any direction, at any latitude in the range.
    /// M(φ) ≤ N(φ) everywhere and M grows with |φ|, so this is M at the |φ| nearest the equator.
    public static func minimumRadius(latitudes: ClosedRange<Double>) -> Double {
        let nearest = latitudes.contains(0) ? 0 : Swift.min(abs(latitudes.lowerBound), abs(latitudes.upperBound))
        return meridionalRadius(latitude: nearest)
    }

    /// The largest radius of curvature at any latitude in the range (N at the largest |φ|).
    public static func maximumRadius(latitudes: ClosedRange<Double>) -> Double {
        primeVerticalRadius(latitude: Swift.max(abs(latitudes.lowerBound), abs(latitudes.upperBound)))
    }
}

/// Great-circle distance in metres on the authalic sphere (haversine). Error against the
/// WGS84 geodesic is below 0.5 %.
public func sphericalDistance(_ a: Coordinate, _ b: Coordinate) -> Double {
    let p1 = a.latitude * .pi / 180, p2 = b.latitude * .pi / 180
    let dp = p2 - p1, dl = (b.longitude - a.longitude) * .pi / 180
    let h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
    return 2 * WGS84.authalicRadius * asin(Swift.min(1, h.squareRoot()))
}

/// The area of a multipolygon in square metres on the authalic sphere, edges taken as
/// rhumb-free lon/lat chords (the spherical-excess approximation used by d3 and turf).
public func sphericalArea(_ geometry: MultiPolygon) -> Double {
    func ringArea(_ ring: Ring) -> Double {
        let c = ring.coordinates
        guard c.count > 3 else { return 0 }
        var total = 0.0
        for i in 0..<(c.count - 1) {
            let l1 = c[i].longitude * .pi / 180, l2 = c[i + 1].longitude * .pi / 180
            let p1 = c[i].latitude * .pi / 180, p2 = c[i + 1].latitude * .pi / 180
            total += (l2 - l1) * (2 + sin(p1) + sin(p2))
        }
        return abs(total) * WGS84.authalicRadius * WGS84.authalicRadius / 2
    }
    var area = 0.0
    for p in geometry.polygons {
        area += ringArea(p.exterior)
        for h in p.holes { area -= ringArea(h) }
    }
    return Swift.max(0, area)
}

/// An azimuthal equidistant projection on a sphere, centred on a zone, in metres.
///
/// A value type; `Sendable`. Distances from the centre are exact on the sphere of radius
/// `radius`; transverse distances are stretched by ρ/sin ρ (ρ the angular distance from the
/// centre), never shrunk. `stretchBound` gives the factor by which a planar distance may
/// exceed the true WGS84 distance anywhere within a box, so a planar buffer scaled by it is
/// conservative (docs/semantics.md).
public struct LocalProjection: Sendable, Hashable {
    public let center: Coordinate
    /// Sphere radius in metres.
    public let radius: Double
    private let sinLat0: Double
    private let cosLat0: Double

    public init(center: Coordinate, radius: Double) {
        self.center = center
        self.radius = radius
        let p0 = center.latitude * .pi / 180
        self.sinLat0 = sin(p0)
        self.cosLat0 = cos(p0)
    }

    /// Planar (x east, y north) metres of a coordinate.
    public func forward(_ c: Coordinate) -> (x: Double, y: Double) {
        let p = c.latitude * .pi / 180
        let dl = (c.longitude - center.longitude) * .pi / 180
        let sinP = sin(p), cosP = cos(p), cosDl = cos(dl)
        let cosRho = Swift.max(-1, Swift.min(1, sinLat0 * sinP + cosLat0 * cosP * cosDl))
        let rho = acos(cosRho)
        let k = rho < 1e-12 ? 1 : rho / sin(rho)
        let x = k * cosP * sin(dl)
        let y = k * (cosLat0 * sinP - sinLat0 * cosP * cosDl)
        return (x * radius, y * radius)
    }

    /// The coordinate of a planar point (inverse of `forward`). With `wrapping: false` the
    /// longitude is the centre's plus an offset in (-180°, 180°], not wrapped into [-180, 180]:
    /// a ring that crosses the antimeridian keeps continuous longitudes past ±180.
    public func inverse(x: Double, y: Double, wrapping: Bool = true) -> Coordinate {
        let xs = x / radius, ys = y / radius
        let rho = (xs * xs + ys * ys).squareRoot()
        if rho < 1e-15 { return center }
        let sinRho = sin(rho), cosRho = cos(rho)
        let lat = asin(Swift.max(-1, Swift.min(1, cosRho * sinLat0 + ys * sinRho * cosLat0 / rho)))
        let lon = center.longitude * .pi / 180
            + atan2(xs * sinRho, rho * cosLat0 * cosRho - ys * sinLat0 * sinRho)
        let c = Coordinate(longitude: lon * 180 / .pi, latitude: lat * 180 / .pi)
        return wrapping ? c.wrapped : c
    }

    /// The largest ratio planar/true distance for short segments anywhere within `maxDistance`
    /// metres of the centre: ρ/sin ρ, times the sphere radius over the smallest WGS84 radius of
    /// curvature in `latitudes`.
    public func stretchBound(maxDistance: Double, latitudes: ClosedRange<Double>) -> Double {
        let rho = Swift.min(maxDistance / radius, .pi * 0.999)
        let k = rho < 1e-9 ? 1 : rho / sin(rho)
        return k * Swift.max(1, radius / WGS84.minimumRadius(latitudes: latitudes))
    }
}

/// The sine and cosine of an angle in degrees, for the engine's per-fix arithmetic (a look-ahead
/// path's direction, a latitude's scale): a third of the instructions of the C library's two
/// calls. The angle is reduced exactly to within 45° of a multiple of 90° (so 90°, 180°, …
/// give exact zeros and ones), then two Taylor polynomials, whose truncation is below 1e-16;
/// within 4e-16 of the true values (checked against the C library in `GeodesyTests`).
/// Deterministic: the same input gives the same bits on every platform. Angles beyond ±1e9°
/// and non-finite ones go to the C library.
@inlinable
public func sinCosDegrees(_ degrees: Double) -> (sin: Double, cos: Double) {
    guard abs(degrees) < 1e9 else { return libmSinCosDegrees(degrees) }
    let (x, q) = reducedDegrees(degrees)
    let s = sinPolynomial(x), c = cosPolynomial(x)
    switch q & 3 {
    case 0: return (s, c)
    case 1: return (c, -s)
    case 2: return (-s, -c)
    default: return (-c, s)
    }
}

/// `sinCosDegrees(degrees).cos`, the same bits, evaluating one polynomial instead of two (the
/// latitude's scale needs no sine).
@inlinable
public func cosDegrees(_ degrees: Double) -> Double {
    guard abs(degrees) < 1e9 else { return libmSinCosDegrees(degrees).cos }
    let (x, q) = reducedDegrees(degrees)
    switch q & 3 {
    case 0: return cosPolynomial(x)
    case 1: return -sinPolynomial(x)
    case 2: return -cosPolynomial(x)
    default: return sinPolynomial(x)
    }
}

/// An angle in degrees (below 1e9 in magnitude) as x radians plus q quarter turns, |x| ≤ π/4.
@inlinable @inline(__always)
func reducedDegrees(_ degrees: Double) -> (x: Double, q: Int) {
    // Rounded half away from zero, as `rounded()` does, without its libm call: the sum is
    // below 2^53, so the conversion truncates exactly (a quotient within an ulp of a half may
    // round the other way, which only moves the reduced angle to the other side of ±45°).
    // (A product with 1/90 rather than a division: q only picks the quadrant.)
    let half = degrees * (1.0 / 90)
    let q = Double(Int(half + (half < 0 ? -0.5 : 0.5)))
    // q·90 is exact (an integer below 2^37), and so is the difference (Sterbenz: the angle lies
    // between q·45 and q·180, as |angle − q·90| ≤ 45 and |q| ≥ 1, or q = 0).
    return ((degrees - q * 90) * (Double.pi / 180), Int(q))
}

// The polynomials in t = x² by Estrin's scheme (pairs, then pairs of pairs, with t² and t⁴):
// the same terms as Horner's rule, in a chain of four dependent steps instead of eight.

/// sin x for |x| ≤ π/4 (Taylor, truncation below 1e-16).
@inlinable @inline(__always)
func sinPolynomial(_ x: Double) -> Double {
    let t = x * x
    let t2 = t * t
    let t4 = t2 * t2
    let s01 = 1 + t * -0.16666666666666666, s23 = 0.008333333333333333 + t * -0.0001984126984126984
    let s45 = 2.7557319223985893e-06 + t * -2.505210838544172e-08, s67 = 1.6059043836821613e-10 + t * -7.647163731819816e-13
    return x * ((s01 + t2 * s23) + t4 * (s45 + t2 * s67))
}

/// cos x for |x| ≤ π/4 (Taylor, truncation below 1e-16).
@inlinable @inline(__always)
func cosPolynomial(_ x: Double) -> Double {
    let t = x * x
    let t2 = t * t
    let t4 = t2 * t2
    let c01 = 1 + t * -0.5, c23 = 0.041666666666666664 + t * -0.001388888888888889
    let c45 = 2.48015873015873e-05 + t * -2.755731922398589e-07, c67 = 2.08767569878681e-09 + t * -1.1470745597729725e-11
    return (c01 + t2 * c23) + t4 * ((c45 + t2 * c67) + t4 * 4.779477332387385e-14)
}

@usableFromInline
func libmSinCosDegrees(_ degrees: Double) -> (sin: Double, cos: Double) {
    let r = degrees * .pi / 180
    return (sin(r), cos(r))
}
