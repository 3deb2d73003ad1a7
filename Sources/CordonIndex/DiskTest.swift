#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CordonCore

/// Whether a segment comes within `radius` metres of a centre, measured in the azimuthal
/// equidistant plane of the centre on the authalic sphere (docs/index.md).
///
/// Most edges are decided in a local equirectangular plane (multiplications only): its
/// coordinates differ from the azimuthal ones by less than 2 (1 + |tan φ0|) s² / R at distance
/// s ≪ R from the centre, and a segment's distance moves by no more than its endpoints do, so
/// any edge whose approximate distance is farther than that from the radius is decided
/// exactly as the projection would decide it; the rest, and edges more than 90° of longitude
/// away, go through the projection.
struct DiskTest {
    let radius: Double
    let lon0: Double, lat0: Double
    let kx: Double, ky: Double
    let curvature: Double

    /// One cosine: the projection (two more) is made only for the rare edge the local plane
    /// cannot decide, and |tan φ| comes from the cosine.
    init(center: Coordinate, radius: Double) {
        self.radius = radius
        lon0 = center.longitude
        lat0 = center.latitude
        let cosPhi = cos(center.latitude * .pi / 180)
        ky = WGS84.authalicRadius * .pi / 180
        kx = ky * cosPhi
        let absTan = max(0, 1 - cosPhi * cosPhi).squareRoot() / cosPhi
        curvature = 2 * (1 + absTan) / WGS84.authalicRadius
    }

    @inline(__always)
    func touches(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Bool {
        let dla = ax - lon0, dlb = bx - lon0
        if abs(dla) < 90 && abs(dlb) < 90 {
            let px = dla * kx, py = (ay - lat0) * ky, qx = dlb * kx, qy = (by - lat0) * ky
            let d = Self.distance(px, py, qx, qy)
            // Approximate and true distances from the centre differ by far less than 1 %.
            let s2 = max(px * px + py * py, qx * qx + qy * qy) * 1.0201 + 1
            let tolerance = curvature * s2 + 1e-9 * radius + 1e-6
            if d <= radius - tolerance { return true }
            if d > radius + tolerance { return false }
        }
        let plane = LocalProjection(center: Coordinate(longitude: lon0, latitude: lat0), radius: WGS84.authalicRadius)
        let p = plane.forward(Coordinate(longitude: ax, latitude: ay))
        let q = plane.forward(Coordinate(longitude: bx, latitude: by))
        return Self.distance(p.x, p.y, q.x, q.y) <= radius
    }

    /// Calls `body(area)` and returns true when the edge touches the disk (an edge visitor's
    /// answer: the area's other edges in the leaf are then skipped).
    @inline(__always)
    func report(_ area: UInt32, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ body: (UInt32) -> Void) -> Bool {
        guard touches(ax, ay, bx, by) else { return false }
        body(area)
        return true
    }

    /// Distance from the origin to segment pq.
    @inline(__always)
    static func distance(_ px: Double, _ py: Double, _ qx: Double, _ qy: Double) -> Double {
        let dx = qx - px, dy = qy - py
        let len2 = dx * dx + dy * dy
        let t = len2 == 0 ? 0 : max(0, min(1, -(px * dx + py * dy) / len2))
        let x = px + t * dx, y = py + t * dy
        return (x * x + y * y).squareRoot()
    }
}
