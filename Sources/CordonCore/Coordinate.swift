/// A WGS84 position in degrees, longitude first (GeoJSON order).
///
/// A value type; freely `Sendable`. `isValid` is the range check every input path applies:
/// finite, longitude in [-180, 180], latitude in [-90, 90].
public struct Coordinate: Hashable, Sendable, CustomStringConvertible {
    public var longitude: Double
    public var latitude: Double

    @inlinable
    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    /// True when both values are finite and within the WGS84 ranges.
    @inlinable
    public var isValid: Bool {
        longitude.isFinite && latitude.isFinite
            && longitude >= -180 && longitude <= 180
            && latitude >= -90 && latitude <= 90
    }

    /// The same position with a longitude a full turn out of [-180, 180] (as continuous
    /// longitudes past the antimeridian are) brought back into it.
    public var wrapped: Coordinate {
        longitude > 180 ? Coordinate(longitude: longitude - 360, latitude: latitude)
            : longitude < -180 ? Coordinate(longitude: longitude + 360, latitude: latitude) : self
    }

    /// `lon,lat` with up to 9 decimals, as used in every diagnostic.
    public var description: String {
        "\(formatDegrees(longitude)),\(formatDegrees(latitude))"
    }
}

/// Formats degrees compactly: at most 9 decimals, trailing zeros trimmed.
package func formatDegrees(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    let scaled = (value * 1e9).rounded()
    if abs(scaled) >= 9.0e15 { return String(value) }
    let negative = scaled < 0
    let magnitude = Int64(abs(scaled))
    let whole = magnitude / 1_000_000_000
    var fraction = magnitude % 1_000_000_000
    var text = (negative ? "-" : "") + String(whole)
    if fraction != 0 {
        var digits = 9
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let raw = String(fraction)
        text += "." + String(repeating: "0", count: digits - raw.count) + raw
    }
    return text
}
