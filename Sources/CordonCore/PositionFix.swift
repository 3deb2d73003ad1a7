/// One position report of a vehicle: who, when, where, and what the receiver knows about it.
///
/// A value type; `Sendable`. `coordinate` is nil for a lost fix (the receiver reported no
/// position). `accuracy` is the radius in metres of the receiver's uncertainty disk; `speed`
/// is in m/s and `heading` in degrees clockwise from north. `problem` is the range check
/// every input path applies before a fix may change a vehicle's state.
public struct PositionFix: Sendable, Hashable {
    public var vehicleID: String
    public var time: Timestamp
    public var coordinate: Coordinate?
    public var accuracy: Double?
    public var speed: Double?
    public var heading: Double?

    public init(
        vehicleID: String, time: Timestamp, coordinate: Coordinate?, accuracy: Double? = nil,
        speed: Double? = nil, heading: Double? = nil
    ) {
        self.vehicleID = vehicleID
        self.time = time
        self.coordinate = coordinate
        self.accuracy = accuracy
        self.speed = speed
        self.heading = heading
    }

    /// Convenience for the usual GPS-log order.
    public init(
        vehicleID: String, time: Timestamp, latitude: Double, longitude: Double, accuracy: Double? = nil,
        speed: Double? = nil, heading: Double? = nil
    ) {
        self.init(
            vehicleID: vehicleID, time: time, coordinate: Coordinate(longitude: longitude, latitude: latitude),
            accuracy: accuracy, speed: speed, heading: heading)
    }

    /// Why this fix may not be applied, or nil when it is usable: a position is present and in
    /// range, and accuracy and speed (when given) are finite and not negative, heading finite.
    public var problem: FixProblem? {
        Self.problem(coordinate: coordinate, accuracy: accuracy, speed: speed, heading: heading)
    }

    /// Whether `problem` is nil, without building the problem: the per-fix check of the engine
    /// (`problem` is asked only when this is false). Tested to agree with `problem`.
    @inlinable
    public var isUsable: Bool {
        guard let c = coordinate else { return false }
        return Self.isUsable(latitude: c.latitude, longitude: c.longitude, accuracy: accuracy, speed: speed, heading: heading)
    }

    /// `isUsable` on a positioned fix's fields, for a reader that checks rows before it makes
    /// fixes.
    @inlinable
    public static func isUsable(latitude: Double, longitude: Double, accuracy: Double?, speed: Double?, heading: Double?) -> Bool {
        guard isLatitude(latitude), isLongitude(longitude) else { return false }
        if let a = accuracy, !isMagnitude(a) { return false }
        if let s = speed, !isMagnitude(s) { return false }
        if let h = heading, !h.isFinite { return false }
        return true
    }

    // The field rules `isUsable` and `problem` share. (Comparisons are false for NaN, and
    // ±infinity fails the ranges.)
    @inlinable static func isLatitude(_ v: Double) -> Bool { v >= -90 && v <= 90 }
    @inlinable static func isLongitude(_ v: Double) -> Bool { v >= -180 && v <= 180 }
    @inlinable static func isMagnitude(_ v: Double) -> Bool { v.isFinite && v >= 0 }

    /// The rule of `problem` on a fix's fields, for a reader that checks rows before it makes
    /// fixes of them.
    @inlinable
    public static func problem(coordinate: Coordinate?, accuracy: Double?, speed: Double?, heading: Double?) -> FixProblem? {
        guard let c = coordinate else { return .noPosition }
        guard isLatitude(c.latitude) else { return .invalidField("lat", c.latitude) }
        guard isLongitude(c.longitude) else { return .invalidField("lon", c.longitude) }
        if let a = accuracy, !isMagnitude(a) { return .invalidField("accuracy", a) }
        if let s = speed, !isMagnitude(s) { return .invalidField("speed", s) }
        if let h = heading, !h.isFinite { return .invalidField("heading", h) }
        return nil
    }
}

/// Why a fix was not applied. A value; `Sendable`.
public enum FixProblem: Sendable, Hashable, CustomStringConvertible {
    /// The receiver reported no position.
    case noPosition
    /// A field is out of range or not finite: its name and value.
    case invalidField(String, Double)
    /// Earlier than the vehicle's last applied fix.
    case outOfOrder(last: Timestamp)
    /// At the same time as the vehicle's last applied fix.
    case duplicate

    public var description: String {
        switch self {
        case .noPosition: "no position"
        case .invalidField(let field, let value):
            switch field {
            case "lat": "lat \(value) is outside [-90, 90] or not finite"
            case "lon": "lon \(value) is outside [-180, 180] or not finite"
            case "heading": "heading \(value) is not finite"
            default: "\(field) \(value) must be finite and not negative"
            }
        case .outOfOrder(let last): "time is before the last applied fix (\(last.iso8601))"
        case .duplicate: "time equals the last applied fix"
        }
    }
}

/// The rule for vehicle ids, the same on every input path (HTTP, WebSocket, replay, tokens):
/// 1 to 128 bytes of UTF-8 without control characters. A control character (a NUL, a line
/// break) would reach logs, the store and the owner's routes, where no path can name it; bytes
/// that are not UTF-8 would be replaced when read, so two different ids could become one
/// vehicle.
///
/// Stateless; `Sendable`.
public enum VehicleID {
    public static let maximumBytes = 128

    /// Why `id` cannot name a vehicle (a phrase to follow "vehicle_id"), or nil.
    public static func problem(_ id: String) -> String? {
        // The common case, printable ASCII of an allowed length, decided on the contiguous bytes
        // (iterating `utf8` byte by byte cost about 250 instructions per id in the replay).
        let plain = id.utf8.withContiguousStorageIfAvailable { b in
            b.count >= 1 && b.count <= maximumBytes && !b.contains { $0 < 0x20 || $0 >= 0x7F }
        }
        if plain == true { return nil }
        let n = id.utf8.count
        guard n >= 1 else { return "is empty" }
        guard n <= maximumBytes else { return "has \(n) bytes (at most \(maximumBytes))" }
        var ascii = true
        for b in id.utf8 {
            if b < 0x20 || b == 0x7F { return "contains a control character" }
            if b >= 0x80 { ascii = false }
        }
        if !ascii, id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        return nil
    }
}
