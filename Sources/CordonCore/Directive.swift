/// One instruction to a vehicle (or one report about its input), produced by the engine.
///
/// A value type; `Sendable`. `time` is the time of the fix that caused it, `effectiveAt` the
/// instant from which it applies (earlier than `time` for data actions with pre-roll or over a
/// gap). `zoneIDs` and `categories` are sorted; for begin and disable directives they name
/// every zone the vehicle is held by after the fix, for end and enable directives the zones
/// released at that fix. The wire form (NDJSON) is written by CordonFormats and described
/// in docs/directives.md.
public struct Directive: Sendable, Hashable {
    /// What the vehicle must do. Raw values are the wire spelling.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case cameraDisable = "camera.disable"
        case cameraEnable = "camera.enable"
        case dataDropBegin = "data.drop.begin"
        case dataDropEnd = "data.drop.end"
        case dataLocalOnlyBegin = "data.local_only.begin"
        case dataLocalOnlyEnd = "data.local_only.end"
        case dataCoarsenBegin = "data.coarsen.begin"
        case dataCoarsenEnd = "data.coarsen.end"
        /// Not an instruction: the fix was not applied (`reason` says why).
        case fixRejected = "fix.rejected"

        /// The begin (or end) kind for a data action; nil for `.none`.
        public static func dataBegin(_ action: DataAction) -> Kind? {
            switch action {
            case .drop: .dataDropBegin
            case .localOnly: .dataLocalOnlyBegin
            case .coarsen: .dataCoarsenBegin
            case .none: nil
            }
        }

        public static func dataEnd(_ action: DataAction) -> Kind? {
            switch action {
            case .drop: .dataDropEnd
            case .localOnly: .dataLocalOnlyEnd
            case .coarsen: .dataCoarsenEnd
            case .none: nil
            }
        }
    }

    /// Why the directive was issued. Raw values are the wire spelling.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The vehicle was held by no zone and now is.
        case enter
        /// Already held; a zone with a stricter policy now holds it too.
        case escalate
        /// Still held; zones were released and the remaining policy is milder.
        case relax
        /// Released by its last zone.
        case exit
        case outOfOrder = "out_of_order"
        case duplicate
        case noPosition = "no_position"
        case invalidPosition = "invalid_position"

        /// The reason a `fix.rejected` directive gives for a fix with this problem.
        public init(_ problem: FixProblem) {
            switch problem {
            case .noPosition: self = .noPosition
            case .invalidField: self = .invalidPosition
            case .outOfOrder: self = .outOfOrder
            case .duplicate: self = .duplicate
            }
        }
    }

    public var vehicleID: String
    /// Per-vehicle sequence number, from 1, without gaps.
    public var seq: Int
    public var kind: Kind
    public var reason: Reason
    public var time: Timestamp
    public var effectiveAt: Timestamp
    public var zoneIDs: [String]
    public var categories: [Category]
    public var zoneSetName: String
    public var zoneSetVersion: Int
    /// The camera groups switched off (disable) or back on (enable); empty for other kinds.
    public var cameras: CameraGroups
    /// The precision of a coarsen action in metres; nil for other kinds.
    public var precisionMeters: Double?
    /// For `fix.rejected`: what was wrong, for people.
    public var detail: String?

    public init(
        vehicleID: String, seq: Int, kind: Kind, reason: Reason, time: Timestamp, effectiveAt: Timestamp,
        zoneIDs: [String], categories: [Category], zoneSetName: String, zoneSetVersion: Int,
        cameras: CameraGroups = [], precisionMeters: Double? = nil, detail: String? = nil
    ) {
        self.vehicleID = vehicleID
        self.seq = seq
        self.kind = kind
        self.reason = reason
        self.time = time
        self.effectiveAt = effectiveAt
        self.zoneIDs = zoneIDs
        self.categories = categories
        self.zoneSetName = zoneSetName
        self.zoneSetVersion = zoneSetVersion
        self.cameras = cameras
        self.precisionMeters = precisionMeters
        self.detail = detail
    }
}
