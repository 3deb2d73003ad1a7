public import CordonCore

/// The naive baseline: every area's bounding box, then an exact crossing-number test over all
/// of the area's edges. Exact like `ZoneIndex` (same predicates), with no index.
///
/// Immutable and `Sendable`. For benchmarks and as a second opinion in tests.
public struct NaiveLocator: Sendable {
    struct Area: Sendable {
        var area: UInt32
        var box: BoundingBox
        var xs: [Double]
        var ys: [Double]
        /// Ring boundaries: ring k spans points ringStarts[k] ..< ringStarts[k + 1].
        var ringStarts: [Int]
    }

    let areas: [Area]

    /// `area` = zone << 1 | kind, as in `ZoneIndex.Builder`.
    public init(areas input: [(area: UInt32, geometry: MultiPolygon)]) {
        areas = input.map { area, geometry in
            var xs: [Double] = [], ys: [Double] = [], starts: [Int] = [0]
            for p in geometry.polygons {
                for r in p.rings {
                    for c in r.coordinates { xs.append(c.longitude); ys.append(c.latitude) }
                    starts.append(xs.count)
                }
            }
            return Area(area: area, box: geometry.boundingBox, xs: xs, ys: ys, ringStarts: starts)
        }
    }

    /// Appends the areas containing `c` (closed), as `zone << 1 | kind`.
    public func locate(_ c: Coordinate, into out: inout [UInt32]) {
        let x = c.longitude, y = c.latitude
        for a in areas where a.box.contains(c) {
            if Self.contains(x, y, a) { out.append(a.area) }
        }
    }

    /// Crossing number along a horizontal ray to +x with the half-open rule, exact predicates;
    /// points on an edge are inside.
    static func contains(_ x: Double, _ y: Double, _ a: Area) -> Bool {
        var inside = false
        for k in 0..<(a.ringStarts.count - 1) {
            var j = a.ringStarts[k + 1] - 1
            for i in a.ringStarts[k]..<a.ringStarts[k + 1] {
                let xi = a.xs[i], yi = a.ys[i], xj = a.xs[j], yj = a.ys[j]
                defer { j = i }
                if Predicates.onSegment(x, y, xi, yi, xj, yj) { return true }
                if (yi > y) != (yj > y) {
                    // Does the edge cross the ray to the right of the point? Orientation of the
                    // upward-directed edge against the point decides exactly.
                    let o = yj > yi ? Predicates.orientation(xi, yi, xj, yj, x, y) : Predicates.orientation(xj, yj, xi, yi, x, y)
                    if o > 0 { inside.toggle() }
                }
            }
        }
        return inside
    }
}
