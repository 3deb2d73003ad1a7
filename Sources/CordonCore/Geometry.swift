/// A closed linear ring: first coordinate equals last, at least four coordinates when valid.
///
/// A value type; `Sendable`. Construction does not validate: `closureProblem` and the GEOS
/// validator in CordonGEOS say what is wrong with a ring read from a file.
public struct Ring: Hashable, Sendable {
    public var coordinates: [Coordinate]

    public init(_ coordinates: [Coordinate]) { self.coordinates = coordinates }

    /// True when the ring has at least 4 coordinates and its first equals its last.
    public var isClosed: Bool {
        guard let first = coordinates.first, let last = coordinates.last else { return false }
        return first == last
    }

    /// Twice the signed planar area in degrees² (shoelace); positive when counter-clockwise.
    public var signedDoubleArea: Double {
        guard coordinates.count > 2 else { return 0 }
        var sum = 0.0
        let origin = coordinates[0]
        for i in 1..<(coordinates.count - 1) {
            let a = coordinates[i], b = coordinates[i + 1]
            sum += (a.longitude - origin.longitude) * (b.latitude - origin.latitude)
                - (b.longitude - origin.longitude) * (a.latitude - origin.latitude)
        }
        return sum
    }

    public var isCounterClockwise: Bool { signedDoubleArea > 0 }

    /// The same ring running the other way.
    public func reversed() -> Ring { Ring(coordinates.reversed()) }

    /// This ring oriented counter-clockwise (`true`) or clockwise (`false`).
    public func oriented(counterClockwise: Bool) -> Ring {
        let area = signedDoubleArea
        if area == 0 || (area > 0) == counterClockwise { return self }
        return reversed()
    }

    public var boundingBox: BoundingBox {
        var box = BoundingBox.empty
        box.extend(coordinates)
        return box
    }
}

/// A polygon: one exterior ring and zero or more holes.
///
/// A value type; `Sendable`. RFC 7946 orientation (exterior counter-clockwise, holes
/// clockwise) is what `normalized()` produces; readers accept either winding.
public struct Polygon: Hashable, Sendable {
    public var exterior: Ring
    public var holes: [Ring]

    public init(exterior: Ring, holes: [Ring] = []) {
        self.exterior = exterior
        self.holes = holes
    }

    /// All rings, exterior first.
    public var rings: [Ring] { [exterior] + holes }

    /// RFC 7946 winding: exterior counter-clockwise, holes clockwise.
    public func normalized() -> Polygon {
        Polygon(
            exterior: exterior.oriented(counterClockwise: true),
            holes: holes.map { $0.oriented(counterClockwise: false) })
    }

    public var vertexCount: Int { rings.reduce(0) { $0 + Swift.max(0, $1.coordinates.count - 1) } }
}

/// A zone's geometry: one or more polygons. A GeoJSON/KML/WKT Polygon is a one-part MultiPolygon.
///
/// A value type; `Sendable`. `isMulti` remembers whether the source said MultiPolygon, so
/// export writes back what was read.
public struct MultiPolygon: Hashable, Sendable {
    public var polygons: [Polygon]
    public var isMulti: Bool

    public init(_ polygons: [Polygon], isMulti: Bool? = nil) {
        self.polygons = polygons
        self.isMulti = isMulti ?? (polygons.count != 1)
    }

    public var isEmpty: Bool { polygons.isEmpty }

    public func normalized() -> MultiPolygon { MultiPolygon(polygons.map { $0.normalized() }, isMulti: isMulti) }

    public var boundingBox: BoundingBox {
        var box = BoundingBox.empty
        for p in polygons { box.extend(p.exterior.boundingBox) }
        return box
    }

    /// Distinct vertices, not counting each ring's repeated closing vertex.
    public var vertexCount: Int { polygons.reduce(0) { $0 + $1.vertexCount } }

    /// Every coordinate of every ring, in order.
    public var allCoordinates: [Coordinate] {
        var out: [Coordinate] = []
        out.reserveCapacity(vertexCount + polygons.count)
        for p in polygons { for r in p.rings { out.append(contentsOf: r.coordinates) } }
        return out
    }

    /// Applies `transform` to every coordinate.
    public func mapCoordinates(_ transform: (Coordinate) -> Coordinate) -> MultiPolygon {
        MultiPolygon(
            polygons.map { p in
                Polygon(
                    exterior: Ring(p.exterior.coordinates.map(transform)),
                    holes: p.holes.map { Ring($0.coordinates.map(transform)) })
            }, isMulti: isMulti)
    }
}
