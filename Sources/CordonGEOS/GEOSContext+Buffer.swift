#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CGEOS
public import CordonCore

/// How approach polygons are made: GEOS buffer in a local azimuthal equidistant projection,
/// scaled so the result always contains every point within the buffer distance.
///
/// A value type; `Sendable`. docs/semantics.md derives the bounds.
public struct ApproachBuffering: Sendable, Hashable {
    /// Segments per quarter circle on round joins (GEOS `quadsegs`).
    public var quadrantSegments: Int32 = 8
    /// Edges longer than this (metres) are split before projecting, so straight lon/lat edges
    /// stay within centimetres of their projected image.
    public var maximumSegmentMeters: Double = 2_000
    /// Before buffering, the projected zone is simplified (topology-preserving Douglas–Peucker)
    /// with tolerance `simplifyFraction × buffer`, and the buffer grows by the same amount.
    /// Every point of the zone lies within the tolerance of the simplified shape, so the result
    /// still contains the exact buffer; it costs at most that much extra reach and makes GEOS
    /// several times faster on concave zones. 0 disables it.
    public var simplifyFraction: Double = 0.04

    public init() {}

    /// The factor that lifts GEOS's inscribed arc chords onto the true circle:
    /// 1 / cos(π / (4 · quadsegs)).
    public var chordFactor: Double { 1 / cos(Double.pi / (4 * Double(quadrantSegments))) }
}

extension GEOSContext {
    /// The approach area of `geometry`: every point within `meters` (WGS84 geodesic distance)
    /// of it, conservatively. Returns `geometry` itself when `meters` is 0.
    public func approach(
        of geometry: MultiPolygon, meters: Double, style: ApproachBuffering = ApproachBuffering()
    ) throws(GEOSError) -> MultiPolygon {
        guard meters > 0 else { return geometry }
        let box = Self.globeBox(geometry)
        let center = box.center.wrapped
        let pad = meters / 111_000 * 2 + 0.01
        let latitudes = max(-90, box.minLatitude - pad)...min(90, box.maxLatitude + pad)
        let projection = LocalProjection(center: center, radius: WGS84.minimumRadius(latitudes: latitudes))
        var reach = 0.0
        for corner in [
            Coordinate(longitude: box.minLongitude, latitude: box.minLatitude),
            Coordinate(longitude: box.minLongitude, latitude: box.maxLatitude),
            Coordinate(longitude: box.maxLongitude, latitude: box.minLatitude),
            Coordinate(longitude: box.maxLongitude, latitude: box.maxLatitude),
        ] {
            reach = max(reach, sphericalDistance(center, corner))
        }
        let stretch = projection.stretchBound(maxDistance: reach * 1.01 + meters * 2, latitudes: latitudes)
        let tolerance = meters * style.simplifyFraction
        let distance = (meters * stretch + tolerance) * style.chordFactor

        // Densify in lon/lat, then project: straight lon/lat edges become short planar chords.
        let planar = MultiPolygon(
            geometry.polygons.map { p in
                Polygon(
                    exterior: projectRing(p.exterior, projection, style.maximumSegmentMeters),
                    holes: p.holes.map { projectRing($0, projection, style.maximumSegmentMeters) })
            }, isMulti: true)
        var g = try self.geometry(planar)
        if tolerance > 0 {
            guard let simplified = GEOSTopologyPreserveSimplify_r(handle, g.pointer, tolerance) else {
                throw failure("topologyPreserveSimplify")
            }
            g = GEOSGeometryHandle(context: self, pointer: simplified)
        }
        guard
            let buffered = GEOSBufferWithStyle_r(
                handle, g.pointer, distance, style.quadrantSegments, Int32(GEOSBUF_CAP_ROUND.rawValue),
                Int32(GEOSBUF_JOIN_ROUND.rawValue), 5)
        else { throw failure("buffer") }
        let handleOut = GEOSGeometryHandle(context: self, pointer: buffered)
        var dropped = 0
        let planarResult = try multiPolygon(handleOut, droppedParts: &dropped)
        let isMulti = geometry.isMulti || planarResult.polygons.count != 1
        var result: MultiPolygon
        // Unprojected with continuous longitudes: a buffer that reaches past ±180 is cut at the
        // antimeridian and the part beyond is moved to the other side. A ring that winds around
        // a pole (a buffer of Antarctica) becomes the cap it bounds on its pole's side, cut the
        // same way. A buffer whose continuous form is not valid keeps wrapped longitudes.
        let unwrapped = planarResult.polygons.map { p in
            Polygon(exterior: unprojectRing(p.exterior, projection), holes: p.holes.map { unprojectRing($0, projection) })
        }
        let rings = unwrapped.flatMap { [$0.exterior] + $0.holes }
        let beyond = rings.contains { r in r.coordinates.contains { abs($0.longitude) > 180 } }
        let extended = MultiPolygon(unwrapped.map(Self.closed), isMulti: true)
        if rings.contains(where: { Self.windingTurns($0) != 0 }) {
            result = try aroundPole(planarResult, unwrapped, isMulti: isMulti, projection)
        } else if beyond, try validityProblem(extended) == nil, let split = try? splitAtAntimeridian(extended, isMulti: isMulti) {
            result = split
        } else {
            // The same vertices with longitudes wrapped into [-180, 180] and each ring closed exactly.
            let wrapped = MultiPolygon(unwrapped, isMulti: isMulti).mapCoordinates(\.wrapped)
            result = MultiPolygon(wrapped.polygons.map(Self.closed), isMulti: isMulti).normalized()
        }
        if try validityProblem(result) != nil {
            result = try repair(result).geometry
        }
        return result
    }

    /// The box of `geometry` as it lies on the globe: when it has parts on both sides of the
    /// antimeridian that are nearer to each other across it (Russia, Fiji), the box with its
    /// negative longitudes moved by +360° (so past +180), which is then the narrower one.
    static func globeBox(_ geometry: MultiPolygon) -> BoundingBox {
        var plain = BoundingBox.empty, shifted = BoundingBox.empty
        for p in geometry.polygons {
            for c in p.exterior.coordinates {
                plain.extend(c)
                shifted.extend(Coordinate(longitude: c.longitude < 0 ? c.longitude + 360 : c.longitude, latitude: c.latitude))
            }
        }
        let width = plain.maxLongitude - plain.minLongitude
        return width > 180 && shifted.maxLongitude - shifted.minLongitude < width ? shifted : plain
    }

    /// A polygon whose rings end exactly where they start.
    static func closed(_ p: Polygon) -> Polygon {
        func fix(_ r: Ring) -> Ring {
            var c = r.coordinates
            if let first = c.first { c[c.count - 1] = first }
            return Ring(c)
        }
        return Polygon(exterior: fix(p.exterior), holes: p.holes.map(fix))
    }

    /// `extended` (longitudes possibly past ±180) cut at the antimeridian: the part within
    /// [-180, 180] as is, the parts beyond moved by ∓360°, all unioned.
    private func splitAtAntimeridian(_ extended: MultiPolygon, isMulti: Bool) throws(GEOSError) -> MultiPolygon {
        let whole = try geometry(extended)
        var pieces: [Polygon] = []
        for (x0, x1, shift) in [(-180.0, 180.0, 0.0), (180.0, 540.0, -360.0), (-540.0, -180.0, 360.0)] {
            let ring = [(x0, -90.0), (x1, -90.0), (x1, 90.0), (x0, 90.0), (x0, -90.0)].map { Coordinate(longitude: $0.0, latitude: $0.1) }
            let band = try geometry(MultiPolygon([Polygon(exterior: Ring(ring))]))
            guard let cut = GEOSIntersection_r(handle, whole.pointer, band.pointer) else { throw failure("intersection") }
            var dropped = 0
            let part = try multiPolygon(GEOSGeometryHandle(context: self, pointer: cut), droppedParts: &dropped)
            pieces += part.mapCoordinates { Coordinate(longitude: min(180, max(-180, $0.longitude + shift)), latitude: $0.latitude) }.polygons
        }
        return try union(pieces, isMulti: isMulti)
    }

    /// `ring` with longitudes made continuous along it: each vertex moved by a multiple of 360°
    /// to lie within 180° of the one before, the whole ring then moved so that it starts in
    /// [-180, 180]. A ring that winds around a pole then ends 360° from where it starts.
    static func continuous(_ ring: Ring) -> Ring {
        var out: [Coordinate] = []
        out.reserveCapacity(ring.coordinates.count)
        for c in ring.coordinates {
            var lon = c.longitude
            if let previous = out.last?.longitude {
                lon -= 360 * ((lon - previous) / 360).rounded()
            }
            out.append(Coordinate(longitude: lon, latitude: c.latitude))
        }
        if let first = out.first?.longitude, abs(first) > 180 {
            let shift = 360 * (first / 360).rounded()
            out = out.map { Coordinate(longitude: $0.longitude - shift, latitude: $0.latitude) }
        }
        return Ring(out)
    }

    /// How many times a ring goes around a pole: its net longitude travel, each step taken the
    /// short way round (within 180°), over 360°, rounded; signed by its direction.
    static func windingTurns(_ ring: Ring) -> Int {
        var travel = 0.0
        for (a, b) in zip(ring.coordinates, ring.coordinates.dropFirst()) {
            let d = b.longitude - a.longitude
            travel += d - 360 * (d / 360).rounded()
        }
        return Int((travel / 360).rounded())
    }

    /// The planar buffer `planar` (its rings unprojected as `unwrapped`), where some ring winds
    /// around a pole, as lon/lat polygons: each ring with continuous longitudes is closed along
    /// the latitude of the pole whose projected image it encloses (a ring that does not wind is
    /// closed as it is), cut at the antimeridian into [-180, 180]; each polygon is its
    /// exterior's piece less its holes' pieces.
    private func aroundPole(
        _ planar: MultiPolygon, _ unwrapped: [Polygon], isMulti: Bool, _ projection: LocalProjection
    ) throws(GEOSError) -> MultiPolygon {
        let image = projection.forward(Coordinate(longitude: 0, latitude: 90))
        let north = try point(Coordinate(longitude: image.x, latitude: image.y))  // the north pole's planar image
        func onGlobe(_ planarRing: Ring, _ ring: Ring) throws(GEOSError) -> GEOSGeometryHandle {
            var c = Self.continuous(ring).coordinates
            if Self.windingTurns(ring) != 0, let seam = Self.startingAtSeam(c), let first = seam.first, let last = seam.last {
                // Both ends lie exactly on a seam (±180° + k·360°), so the cut pieces meet exactly.
                let pole = try geometry(MultiPolygon([Polygon(exterior: planarRing)])).intersects(north) ? 90.0 : -90.0
                c = seam + [Coordinate(longitude: last.longitude, latitude: pole), Coordinate(longitude: first.longitude, latitude: pole), first]
            } else if let first = c.first {
                c[c.count - 1] = first
            }
            let piece = try splitAtAntimeridian(MultiPolygon([Polygon(exterior: Ring(c))]), isMulti: true)
            return try geometry(piece)
        }
        var parts: [Polygon] = []
        for (p, u) in zip(planar.polygons, unwrapped) {
            var shape = try onGlobe(p.exterior, u.exterior)
            for (h, uh) in zip(p.holes, u.holes) {
                let hole = try onGlobe(h, uh)
                guard let rest = GEOSDifference_r(handle, shape.pointer, hole.pointer) else { throw failure("difference") }
                shape = GEOSGeometryHandle(context: self, pointer: rest)
            }
            var dropped = 0
            parts += try multiPolygon(shape, droppedParts: &dropped).polygons
        }
        return try union(parts, isMulti: isMulti)
    }

    /// The union of `polygons` (GEOS unary union), normalized.
    private func union(_ polygons: [Polygon], isMulti: Bool) throws(GEOSError) -> MultiPolygon {
        let collected = try geometry(MultiPolygon(polygons, isMulti: true))
        guard let union = GEOSUnaryUnion_r(handle, collected.pointer) else { throw failure("unaryUnion") }
        var dropped = 0
        let merged = try multiPolygon(GEOSGeometryHandle(context: self, pointer: union), droppedParts: &dropped)
        return MultiPolygon(merged.polygons, isMulti: isMulti || merged.polygons.count != 1).normalized()
    }

    /// A winding ring with continuous longitudes (`c`, closed 360° on) started instead where it
    /// first crosses a seam (a longitude of 180° + k·360°), at a vertex placed exactly there,
    /// and ended at the same seam one turn on; nil when no edge crosses one.
    static func startingAtSeam(_ c: [Coordinate]) -> [Coordinate]? {
        guard let first = c.first, let last = c.last, c.count > 2 else { return nil }
        let turn = 360 * ((last.longitude - first.longitude) / 360).rounded()
        func side(_ lon: Double) -> Double { ((lon - 180) / 360).rounded(.down) }
        for i in 0..<(c.count - 1) where side(c[i].longitude) != side(c[i + 1].longitude) {
            let a = c[i], b = c[i + 1]
            let seam = 180 + 360 * max(side(a.longitude), side(b.longitude))
            let t = (seam - a.longitude) / (b.longitude - a.longitude)
            let latitude = a.latitude + (b.latitude - a.latitude) * t
            var out = [Coordinate(longitude: seam, latitude: latitude)]
            out += c[(i + 1)...]
            out += c[1..<(i + 1)].map { Coordinate(longitude: $0.longitude + turn, latitude: $0.latitude) }
            out.append(Coordinate(longitude: seam + turn, latitude: latitude))
            return out
        }
        return nil
    }

    private func projectRing(_ ring: Ring, _ projection: LocalProjection, _ maxSegment: Double) -> Ring {
        var out: [Coordinate] = []
        out.reserveCapacity(ring.coordinates.count)
        let c = ring.coordinates
        for k in 0..<c.count {
            if k > 0 {
                let a = c[k - 1], b = c[k]
                let length = sphericalDistance(a, b)
                if length > maxSegment {
                    let pieces = min(10_000, Int((length / maxSegment).rounded(.up)))
                    for s in 1..<pieces {
                        let t = Double(s) / Double(pieces)
                        let m = Coordinate(
                            longitude: a.longitude + (b.longitude - a.longitude) * t,
                            latitude: a.latitude + (b.latitude - a.latitude) * t)
                        let p = projection.forward(m)
                        out.append(Coordinate(longitude: p.x, latitude: p.y))
                    }
                }
            }
            let p = projection.forward(c[k])
            out.append(Coordinate(longitude: p.x, latitude: p.y))
        }
        return Ring(out)
    }

    /// A planar ring back in lon/lat with continuous longitudes (not wrapped, not closed by
    /// force: a ring around a pole does not close, for the caller to see).
    private func unprojectRing(_ ring: Ring, _ projection: LocalProjection) -> Ring {
        Ring(ring.coordinates.map { projection.inverse(x: $0.longitude, y: $0.latitude, wrapping: false) })
    }
}
