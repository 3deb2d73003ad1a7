#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// GCJ-02, the obfuscated datum of Chinese consumer maps, and its conversion to WGS84.
///
/// Stateless; `Sendable`. `wgs84ToGCJ02` is the public forward transform (Krasovsky
/// constants); `gcj02ToWGS84` inverts it by fixed-point iteration to below 1e-9° (~0.1 mm),
/// well inside the 1 cm the import promises. Outside mainland China's box the transform is
/// the identity, as the original is. Accuracy is that of the published transform: it is not
/// an official datum conversion, only the inverse of what the map providers apply.
public enum GCJ02 {
    static let a = 6_378_245.0
    static let ee = 0.006_693_421_622_965_943_23

    /// True outside the box in which map providers apply the offset.
    public static func isOutsideChina(_ c: Coordinate) -> Bool {
        !(c.longitude >= 72.004 && c.longitude <= 137.8347 && c.latitude >= 0.8293 && c.latitude <= 55.8271)
    }

    /// WGS84 → GCJ-02 (what a Chinese map shows for a GPS position).
    public static func wgs84ToGCJ02(_ c: Coordinate) -> Coordinate {
        if isOutsideChina(c) { return c }
        let d = delta(c)
        return Coordinate(longitude: c.longitude + d.lon, latitude: c.latitude + d.lat)
    }

    /// GCJ-02 → WGS84, iterating `w ← w − (forward(w) − g)` until the residual is below 1e-10°.
    public static func gcj02ToWGS84(_ g: Coordinate) -> Coordinate {
        if isOutsideChina(g) { return g }
        var w = g
        for _ in 0..<30 {
            let f = wgs84ToGCJ02(w)
            let dLon = f.longitude - g.longitude, dLat = f.latitude - g.latitude
            w = Coordinate(longitude: w.longitude - dLon, latitude: w.latitude - dLat)
            if abs(dLon) < 1e-10 && abs(dLat) < 1e-10 { break }
        }
        return w
    }

    static func delta(_ c: Coordinate) -> (lon: Double, lat: Double) {
        let x = c.longitude - 105.0, y = c.latitude - 35.0
        let common = (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot() + common
        dLat += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        dLat += (160.0 * sin(y / 12.0 * .pi) + 320 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot() + common
        dLon += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        dLon += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        let radLat = c.latitude / 180.0 * .pi
        let s = sin(radLat)
        let magic = 1 - ee * s * s
        let sqrtMagic = magic.squareRoot()
        dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * .pi)
        dLon = (dLon * 180.0) / (a / sqrtMagic * cos(radLat) * .pi)
        return (dLon, dLat)
    }
}
