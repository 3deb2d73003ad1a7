/// Camera groups a policy switches off. An option set (a value; `Sendable`): groups unite
/// when zones overlap.
public struct CameraGroups: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let exterior = CameraGroups(rawValue: 1 << 0)
    public static let cabin = CameraGroups(rawValue: 1 << 1)

    /// Group names in canonical order, as written in zone files.
    public var names: [String] {
        var out: [String] = []
        if contains(.exterior) { out.append("exterior") }
        if contains(.cabin) { out.append("cabin") }
        return out
    }

    /// The group named `name` in a zone file, or nil when the name is unknown.
    public init?(name: String) {
        switch name {
        case "exterior": self = .exterior
        case "cabin": self = .cabin
        default: return nil
        }
    }
}

/// What happens to data collected inside a zone (and its approach buffer).
///
/// A value; `Sendable`. Ordered by strictness: `drop` > `localOnly` > `coarsen` (coarser
/// precision is stricter) > `none`.
public enum DataAction: Sendable, Hashable {
    case drop
    case localOnly
    case coarsen(meters: Double)
    case none

    /// The spelling in zone files (`coarsen_m` carries the precision separately).
    public var name: String {
        switch self {
        case .drop: "drop"
        case .localOnly: "local_only"
        case .coarsen: "coarsen"
        case .none: "none"
        }
    }

    /// The action spelled `name` in zone files (and stored states), with `coarsenMeters` for
    /// `coarsen`; nil for an unknown name, or `coarsen` without a positive finite precision.
    public init?(name: String, coarsenMeters: Double?) {
        switch name {
        case "drop": self = .drop
        case "local_only": self = .localOnly
        case "none": self = .none
        case "coarsen":
            guard let m = coarsenMeters, m.isFinite, m > 0 else { return nil }
            self = .coarsen(meters: m)
        default: return nil
        }
    }

    /// Rank for "strictest wins": larger is stricter. Coarsen ranks among coarsens by precision.
    @inlinable
    public var strictness: (rank: Int, meters: Double) {
        switch self {
        case .drop: (3, 0)
        case .localOnly: (2, 0)
        case .coarsen(let m): (1, m)
        case .none: (0, 0)
        }
    }

    /// The stricter of two actions (DESIGN.md: drop > local_only > coarsen, coarser wins > none).
    @inlinable
    public static func strictest(_ a: DataAction, _ b: DataAction) -> DataAction {
        let sa = a.strictness, sb = b.strictness
        if sa.rank != sb.rank { return sa.rank > sb.rank ? a : b }
        return sa.meters >= sb.meters ? a : b
    }
}

/// What a zone makes a vehicle do: camera groups to switch off and the data action.
///
/// A value type; `Sendable`. A policy that does nothing (`isNoOp`) is refused on import.
public struct Policy: Sendable, Hashable {
    public var cameras: CameraGroups
    public var data: DataAction

    public init(cameras: CameraGroups, data: DataAction) {
        self.cameras = cameras
        self.data = data
    }

    /// True when the policy disables no camera and leaves data alone.
    public var isNoOp: Bool { cameras.isEmpty && data == .none }

    /// The combination of two policies: camera groups unite, the strictest data action wins.
    public func combined(with other: Policy) -> Policy {
        Policy(cameras: cameras.union(other.cameras), data: DataAction.strictest(data, other.data))
    }
}
