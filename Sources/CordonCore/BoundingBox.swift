/// An axis-aligned box in lon/lat degrees, closed on every side.
///
/// A value type; `Sendable`. The empty box has `minLongitude > maxLongitude`.
public struct BoundingBox: Hashable, Sendable {
    public var minLongitude: Double
    public var minLatitude: Double
    public var maxLongitude: Double
    public var maxLatitude: Double

    public init(minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        self.minLongitude = minLongitude
        self.minLatitude = minLatitude
        self.maxLongitude = maxLongitude
        self.maxLatitude = maxLatitude
    }

    /// The box that contains nothing; `extend` grows it.
    public static let empty = BoundingBox(
        minLongitude: .infinity, minLatitude: .infinity, maxLongitude: -.infinity, maxLatitude: -.infinity)

    public var isEmpty: Bool { minLongitude > maxLongitude || minLatitude > maxLatitude }

    public mutating func extend(_ c: Coordinate) {
        minLongitude = Swift.min(minLongitude, c.longitude)
        minLatitude = Swift.min(minLatitude, c.latitude)
        maxLongitude = Swift.max(maxLongitude, c.longitude)
        maxLatitude = Swift.max(maxLatitude, c.latitude)
    }

    public mutating func extend(_ other: BoundingBox) {
        guard !other.isEmpty else { return }
        minLongitude = Swift.min(minLongitude, other.minLongitude)
        minLatitude = Swift.min(minLatitude, other.minLatitude)
        maxLongitude = Swift.max(maxLongitude, other.maxLongitude)
        maxLatitude = Swift.max(maxLatitude, other.maxLatitude)
    }

    /// Grows the box to every coordinate of `coordinates` (as `extend(_:)` one by one, in one
    /// loop over locals).
    @inlinable
    public mutating func extend(_ coordinates: [Coordinate]) {
        var x0 = minLongitude, y0 = minLatitude, x1 = maxLongitude, y1 = maxLatitude
        for c in coordinates {
            // `Swift.min` and `Swift.max`, spelled out: the same picks, ties included.
            x0 = c.longitude < x0 ? c.longitude : x0
            y0 = c.latitude < y0 ? c.latitude : y0
            x1 = c.longitude >= x1 ? c.longitude : x1
            y1 = c.latitude >= y1 ? c.latitude : y1
        }
        (minLongitude, minLatitude, maxLongitude, maxLatitude) = (x0, y0, x1, y1)
    }

    /// Grows the box to every vertex of `geometry`, holes included (`MultiPolygon.boundingBox`
    /// takes the exteriors only, which hold the holes of a valid polygon).
    public mutating func extend(allRingsOf geometry: MultiPolygon) {
        for polygon in geometry.polygons {
            extend(polygon.exterior.coordinates)
            for hole in polygon.holes { extend(hole.coordinates) }
        }
    }

    /// Whether the two boxes share a point (closed: touching sides count; an empty box shares
    /// none).
    @inlinable
    public func intersects(_ other: BoundingBox) -> Bool {
        minLongitude <= other.maxLongitude && maxLongitude >= other.minLongitude && minLatitude <= other.maxLatitude
            && maxLatitude >= other.minLatitude
    }

    /// Closed containment: a point on an edge of the box is inside.
    @inlinable
    public func contains(_ c: Coordinate) -> Bool {
        c.longitude >= minLongitude && c.longitude <= maxLongitude
            && c.latitude >= minLatitude && c.latitude <= maxLatitude
    }

    public var center: Coordinate {
        Coordinate(longitude: (minLongitude + maxLongitude) / 2, latitude: (minLatitude + maxLatitude) / 2)
    }
}
