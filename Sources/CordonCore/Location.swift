/// Where a point lies relative to an area: the three-state answer of every point-location query.
///
/// A value; `Sendable`. Restricted zones are closed: callers treat `.boundary` as inside.
public enum Location: UInt8, Sendable, Hashable {
    case interior
    case boundary
    case exterior

    /// Closed containment: interior or boundary.
    @inlinable
    public var isCovered: Bool { self != .exterior }
}
