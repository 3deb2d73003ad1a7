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
        let box = geometry.boundingBox
        let center = box.center
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
        var result = MultiPolygon(
            planarResult.polygons.map { p in
                Polygon(
                    exterior: unprojectRing(p.exterior, projection),
                    holes: p.holes.map { unprojectRing($0, projection) })
            }, isMulti: geometry.isMulti || planarResult.polygons.count != 1
        ).normalized()
        if try validityProblem(result) != nil {
            result = try repair(result).geometry
        }
        return result
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

    private func unprojectRing(_ ring: Ring, _ projection: LocalProjection) -> Ring {
        var coords = ring.coordinates.map { projection.inverse(x: $0.longitude, y: $0.latitude) }
        if let first = coords.first { coords[coords.count - 1] = first }  // keep closure exact
        return Ring(coords)
    }
}
