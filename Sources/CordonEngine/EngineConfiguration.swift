/// Every parameter of the per-vehicle state machine, with the defaults Cordon ships.
///
/// A value; `Sendable`. Times are in seconds, distances in metres, speeds in m/s. The snake
/// case names (`lookahead_s`, …) are the keys of a configuration file (docs/directives.md).
public struct EngineConfiguration: Sendable, Hashable {
    /// `lookahead_s`: a moving vehicle is tested along the path it covers in this time at its
    /// speed and heading, so it enters before it crosses the approach boundary.
    public var lookaheadSeconds: Double = 5
    /// `max_lookahead_m`: cap on that path's length (a corrupt speed must not sweep a province).
    public var maxLookaheadMeters: Double = 500
    /// `preroll_s`: a data action that begins on entry takes effect this long before the
    /// entering fix, so frames already buffered near the zone are purged too.
    public var prerollSeconds: Double = 10
    /// `exit_hold_s`: a zone releases a vehicle only after this long clear of it.
    public var exitHoldSeconds: Double = 30
    /// `exit_margin_m`: clear means farther than this from the zone's approach polygon (from
    /// the edge of the accuracy disk).
    public var exitMarginMeters: Double = 50
    /// `max_gap_s`: fixes further apart than this are a gap: the time in between never counts
    /// as clear, and a gap that ends inside a zone extends the data action back over it.
    public var maxGapSeconds: Double = 10
    /// `max_accuracy_m`: the accuracy disk's radius is capped here; a fix less accurate than
    /// this may enter zones but never counts as clear.
    public var maxAccuracyMeters: Double = 100
    /// `max_speed_mps`: a fix that implies a faster jump from the previous one (multipath)
    /// may enter zones but never counts as clear.
    public var maxPlausibleSpeed: Double = 100

    public init() {}

    /// The file keys, in documentation order.
    public static let keys = [
        "lookahead_s", "max_lookahead_m", "preroll_s", "exit_hold_s", "exit_margin_m", "max_gap_s",
        "max_accuracy_m", "max_speed_mps",
    ]

    /// The parameter with file key `key`; nil for an unknown key.
    public subscript(key key: String) -> Double? {
        switch key {
        case "lookahead_s": lookaheadSeconds
        case "max_lookahead_m": maxLookaheadMeters
        case "preroll_s": prerollSeconds
        case "exit_hold_s": exitHoldSeconds
        case "exit_margin_m": exitMarginMeters
        case "max_gap_s": maxGapSeconds
        case "max_accuracy_m": maxAccuracyMeters
        case "max_speed_mps": maxPlausibleSpeed
        default: nil
        }
    }

    /// The defaults with the given keys overridden. Throws on an unknown key or a value that is
    /// not finite and ≥ 0, naming the key.
    public init(overrides: [(key: String, value: Double)]) throws(EngineError) {
        self.init()
        for (key, value) in overrides {
            guard Self.keys.contains(key) else { throw .unknownParameter(key, known: Self.keys) }
            guard value.isFinite, value >= 0 else { throw .invalidParameter(key, value) }
            switch key {
            case "lookahead_s": lookaheadSeconds = value
            case "max_lookahead_m": maxLookaheadMeters = value
            case "preroll_s": prerollSeconds = value
            case "exit_hold_s": exitHoldSeconds = value
            case "exit_margin_m": exitMarginMeters = value
            case "max_gap_s": maxGapSeconds = value
            case "max_accuracy_m": maxAccuracyMeters = value
            case "max_speed_mps": maxPlausibleSpeed = value
            default: throw .unknownParameter(key, known: Self.keys)
            }
        }
    }
}

/// Errors of the engine module. A value; `Sendable`.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownParameter(String, known: [String])
    case invalidParameter(String, Double)

    public var description: String {
        switch self {
        case .unknownParameter(let key, let known):
            "unknown engine parameter \"\(key)\" (known: \(known.joined(separator: ", ")))"
        case .invalidParameter(let key, let value):
            "engine parameter \"\(key)\" must be a finite number ≥ 0, got \(value)"
        }
    }
}
