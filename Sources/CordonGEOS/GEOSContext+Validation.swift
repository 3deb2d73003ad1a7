import CGEOS
import Foundation
public import CordonCore

/// Why GEOS finds a geometry invalid: a stable code, GEOS's own words and where.
/// A value; `Sendable` (it holds no GEOS handle).
public struct ValidityProblem: Sendable, Hashable {
    /// `self_intersection`, `ring_self_intersection`, `hole_outside_shell`, `nested_holes`,
    /// `nested_shells`, `disconnected_interior`, `duplicate_rings`, `too_few_points`,
    /// `ring_not_closed`, `bad_coordinate` or `invalid_geometry`.
    public var code: String
    /// GEOS's reason, e.g. `Self-intersection`.
    public var reason: String
    public var location: Coordinate?

    /// `Self-intersection at 31.5,22.1`.
    public var message: String {
        guard let location else { return reason }
        return "\(reason) at \(location)"
    }

    /// GEOS's reasons (lower-cased) and their codes: whole reasons first, then words a reason
    /// contains; any other reason is `invalid_geometry`.
    private static let reasons: [(reason: String, code: String)] = [
        ("self-intersection", "self_intersection"), ("ring self-intersection", "ring_self_intersection"),
        ("hole lies outside shell", "hole_outside_shell"), ("holes are nested", "nested_holes"),
        ("nested shells", "nested_shells"), ("interior is disconnected", "disconnected_interior"),
        ("duplicate rings", "duplicate_rings"),
    ]
    private static let reasonWords: [(words: String, code: String)] = [
        ("too few", "too_few_points"), ("not closed", "ring_not_closed"), ("invalid coordinate", "bad_coordinate"),
    ]
    private static let otherCode = "invalid_geometry"

    /// Every `code` a problem may have.
    public static let codes = Set(reasons.map(\.code) + reasonWords.map(\.code) + [otherCode])

    static func code(forReason reason: String) -> String {
        let r = reason.lowercased()
        if let known = reasons.first(where: { $0.reason == r }) { return known.code }
        return reasonWords.first(where: { r.contains($0.words) })?.code ?? otherCode
    }
}

/// What `repair` did: the repaired geometry and a sentence saying what changed.
/// A value; `Sendable` (it holds no GEOS handle).
public struct RepairOutcome: Sendable, Hashable {
    public var geometry: MultiPolygon
    public var summary: String
}

extension GEOSContext {
    /// The first OGC validity problem GEOS finds, or nil when the geometry is valid.
    public func validityProblem(_ geometry: MultiPolygon) throws(GEOSError) -> ValidityProblem? {
        let g = try self.geometry(geometry)
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let valid = GEOSisValidDetail_r(handle, g.pointer, 0, &reason, &location)  // 1 valid, 0 invalid, 2 exception
        defer {
            if let reason { GEOSFree_r(handle, reason) }
            if let location { GEOSGeom_destroy_r(handle, location) }
        }
        switch valid {
        case 1: return nil
        case 0:
            let text = reason.map { String(cString: $0) } ?? "invalid geometry"
            var at: Coordinate?
            if let location, GEOSisEmpty_r(handle, location) == 0 {  // 1 true, 0 false, 2 exception
                var x = 0.0, y = 0.0
                if GEOSGeomGetX_r(handle, location, &x) == 1, GEOSGeomGetY_r(handle, location, &y) == 1 {  // 1 ok, 0 exception
                    at = Coordinate(longitude: x, latitude: y)
                }
            }
            return ValidityProblem(code: ValidityProblem.code(forReason: text), reason: text, location: at)
        default:
            throw failure("isValidDetail")
        }
    }

    /// Repairs with GEOS MakeValid (structure method, collapsed parts dropped) and says what changed.
    public func repair(_ geometry: MultiPolygon) throws(GEOSError) -> RepairOutcome {
        let g = try self.geometry(geometry)
        guard let params = GEOSMakeValidParams_create_r(handle) else { throw failure("makeValidParams") }
        defer { GEOSMakeValidParams_destroy_r(handle, params) }
        _ = GEOSMakeValidParams_setMethod_r(handle, params, GEOS_MAKE_VALID_STRUCTURE)  // 0 on exception
        _ = GEOSMakeValidParams_setKeepCollapsed_r(handle, params, 0)
        guard let fixedPointer = GEOSMakeValidWithParams_r(handle, g.pointer, params) else { throw failure("makeValid") }
        let fixed = GEOSGeometryHandle(context: self, pointer: fixedPointer)
        var dropped = 0
        var result = try multiPolygon(fixed, droppedParts: &dropped)
        result = result.normalized()
        if geometry.isMulti { result.isMulti = true }
        let before = try g.area(), after = try self.geometry(result).area()
        var summary = "MakeValid: \(geometry.polygons.count) part(s) → \(result.polygons.count) polygon(s)"
        if before > 0 {
            let change = (after - before) / before * 100
            summary += ", area \(change >= 0 ? "+" : "")\(formatPercent(change)) %"
        }
        if dropped > 0 { summary += ", \(dropped) collapsed line/point part(s) dropped" }
        return RepairOutcome(geometry: result, summary: summary)
    }
}

/// A percentage with up to 4 decimals, or "<0.0001" for smaller non-zero changes.
func formatPercent(_ v: Double) -> String {
    let r = (v * 10_000).rounded() / 10_000
    if r == 0 && v != 0 { return v > 0 ? "<0.0001" : "-<0.0001" }
    return r == r.rounded() ? String(Int(r)) : String(format: "%.4f", r).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
}
