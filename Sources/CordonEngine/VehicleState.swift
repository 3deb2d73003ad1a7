public import CordonCore
import CordonIndex

/// What the engine remembers about one vehicle between fixes.
///
/// A value type; `Sendable`. The caller owns it and passes it to `VehicleTracker.apply`; it is
/// not shared between vehicles. `FleetEngine` keeps one per vehicle under its lock.
public struct VehicleState: Sendable {
    /// A zone currently holding the vehicle (its policy is in force).
    /// A value; `Sendable`.
    public struct Hold: Sendable, Hashable {
        /// The zone's number in the state's snapshot (its id: `VehicleState.heldZoneIDs`).
        /// Plain data, so the per-fix loop over holds copies no references.
        public internal(set) var zone: UInt32
        public internal(set) var category: Category
        public internal(set) var policy: Policy
        /// Start of the current run of clear fixes, nil while the vehicle is near the zone.
        public internal(set) var clearSince: Timestamp?
    }

    public let vehicleID: String
    /// Sequence number of the last directive issued (0 before the first).
    public internal(set) var seq = 0
    /// Time and position of the last applied fix.
    public internal(set) var lastTime: Timestamp?
    public internal(set) var lastPosition: Coordinate?
    /// The zones holding the vehicle, in the order they took hold.
    public internal(set) var holds: [Hold] = []
    /// The camera groups and the data action currently in force (combined over `holds`).
    public internal(set) var cameras: CameraGroups = []
    public internal(set) var data: DataAction = .none
    /// The zone-set version the holds are numbered in.
    var snapshot: ZoneSnapshot?
    /// Zones that held the vehicle when its state was saved but are missing from the version
    /// it was restored on (`init(restoring:on:)`): released, with their directives, at the next fix.
    var vanished: [(id: String, category: Category)] = []
    /// Set by `init(restoring:on:)`: the policy in force was saved, not computed from these
    /// holds, so the next fix takes the full step (as after a swap), never the steady-state one.
    var restored = false
    /// The index leaf cell of the last fix: the next fix's queries skip the descent when they
    /// stay inside it (most do at 1 Hz). Belongs to `snapshot`'s index.
    var cell = ZoneIndex.Cell()
    public var zoneSetName: String? { snapshot?.setName }
    public var zoneSetVersion: Int? { snapshot?.version }
    /// Counters: fixes applied, fixes rejected, transitions from no hold to held.
    public internal(set) var fixesApplied = 0
    public internal(set) var fixesRejected = 0
    public internal(set) var enters = 0

    public init(vehicleID: String) {
        self.vehicleID = vehicleID
    }

    /// The ids of the zones holding the vehicle, in the order they took hold.
    public var heldZoneIDs: [String] {
        guard let snapshot else { return [] }
        return holds.map { snapshot.rules[Int($0.zone)].id }
    }

    /// True while some zone holds the vehicle.
    public var isSuppressed: Bool { !holds.isEmpty }
}
