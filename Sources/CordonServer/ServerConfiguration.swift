public import CordonEngine

/// Everything `cordon serve` can be told, with the documented defaults (docs/http-api.md,
/// "Configuration"). Each field has a flag and an environment variable; flags win.
///
/// A value type; `Sendable`.
public struct ServerConfiguration: Sendable {
    /// SQLite database (`--db`, `CORDON_DB`).
    public var databasePath = "./cordon.db"
    public var host = "127.0.0.1"
    public var port = 8080
    /// The zone set vehicles are evaluated against (`--set`, `CORDON_SET`). Nil: the store's
    /// only set (or `default` when the store is empty); several sets need a name.
    public var setName: String?
    /// Largest request body on vehicle and owner routes, bytes (`CORDON_BODY_LIMIT`).
    public var bodyLimit = 4 << 20
    /// Largest zone file upload, bytes (`CORDON_ZONE_BODY_LIMIT`).
    public var zoneBodyLimit = 64 << 20
    /// Most fixes in one `POST /v1/evaluate` (`CORDON_BATCH_LIMIT`).
    public var batchLimit = 10_000
    /// Requests per second each token may make on average; 0 turns the limit off
    /// (`CORDON_RATE_LIMIT`).
    public var rateLimit = 200.0
    /// Requests a token may make at once above the average (`CORDON_RATE_BURST`).
    public var rateBurst = 400.0
    /// How long directives are kept for owners, days (`CORDON_RETENTION_DAYS`).
    public var retentionDays = 7.0
    /// How often the retention pass runs, seconds.
    public var retentionInterval = 3600.0
    /// How often buffered directives (and the vehicle states beside them) are written to the
    /// database, seconds (`CORDON_FLUSH_INTERVAL`): what a crash can lose.
    public var flushInterval = 1.0
    /// How often the store is polled for activations made elsewhere (the CLI), seconds; 0: never.
    public var watchInterval = 5.0
    /// How long a token lookup is remembered, seconds: a revocation takes effect within this.
    public var tokenCacheSeconds = 1.0
    /// Most directives one owner request returns.
    public var ownerLimit = 10_000
    /// Most vehicles the service holds a state for (`CORDON_MAX_VEHICLES`): fixes that would
    /// bring more are refused (503 `vehicle_limit`), so ids made up by a client cannot grow the
    /// memory without bound. Vehicles already known are always served.
    public var maximumVehicles = 1_000_000
    /// Seconds after its last fix that a vehicle's state leaves memory (`CORDON_EVICT_AFTER`;
    /// 0: never). It is stored first and read back at the vehicle's next fix, so nothing of it
    /// is lost; vehicles idle that long are not restored at start-up either.
    public var evictAfter = 86_400.0
    /// How often idle vehicles are looked for: a 24th of `evictAfter`, between 10 s and 10 min
    /// (0 when eviction is off).
    public var evictionInterval: Double { evictAfter > 0 ? min(max(evictAfter / 24, 10), 600) : 0 }
    /// The engine parameters (docs/directives.md).
    public var engine = EngineConfiguration()

    public init() {}

    /// Applies `CORDON_*` variables from `environment`; throws on a value that does not parse.
    public mutating func apply(environment: [String: String]) throws(ServerError) {
        func value<T>(_ key: String, _ parse: (String) -> T?) throws(ServerError) -> T? {
            guard let raw = environment[key] else { return nil }
            guard let v = parse(raw) else { throw .configuration("\(key)=\(raw) is not a valid value") }
            return v
        }
        if let v = environment["CORDON_DB"] { databasePath = v }
        if let v = environment["CORDON_HOST"] { host = v }
        if let v = try value("CORDON_PORT", { Int($0) }) { port = v }
        if let v = environment["CORDON_SET"] { setName = v }
        if let v = try value("CORDON_BODY_LIMIT", { Int($0) }) { bodyLimit = v }
        if let v = try value("CORDON_ZONE_BODY_LIMIT", { Int($0) }) { zoneBodyLimit = v }
        if let v = try value("CORDON_BATCH_LIMIT", { Int($0) }) { batchLimit = v }
        if let v = try value("CORDON_RATE_LIMIT", { Double($0) }) { rateLimit = v }
        if let v = try value("CORDON_RATE_BURST", { Double($0) }) { rateBurst = v }
        if let v = try value("CORDON_RETENTION_DAYS", { Double($0) }) { retentionDays = v }
        if let v = try value("CORDON_FLUSH_INTERVAL", { Double($0) }) { flushInterval = v }
        if let v = try value("CORDON_MAX_VEHICLES", { Int($0) }) { maximumVehicles = v }
        if let v = try value("CORDON_EVICT_AFTER", { Double($0) }) { evictAfter = v }
        try check()
    }

    /// Refuses values that cannot work.
    public func check() throws(ServerError) {
        guard (0...65_535).contains(port) else { throw .configuration("port \(port) is outside 0…65535") }
        guard bodyLimit > 0, zoneBodyLimit > 0 else { throw .configuration("body limits must be positive") }
        guard batchLimit > 0 else { throw .configuration("the batch limit must be positive") }
        guard rateLimit >= 0, rateBurst >= 1 || rateLimit == 0 else {
            throw .configuration("the rate limit must be ≥ 0 and the burst ≥ 1")
        }
        guard retentionDays > 0 else { throw .configuration("the retention must be positive") }
        guard flushInterval > 0, flushInterval <= 3600 else { throw .configuration("the flush interval must be in (0, 3600] seconds") }
        guard maximumVehicles > 0 else { throw .configuration("the vehicle limit must be positive") }
        guard evictAfter >= 0, evictAfter.isFinite else { throw .configuration("the eviction time must be ≥ 0 seconds (0: never)") }
    }
}

/// Failures of the service outside a request (configuration, start-up). `Sendable`.
public enum ServerError: Error, Sendable, CustomStringConvertible {
    case configuration(String)
    case startup(String)

    public var description: String {
        switch self {
        case .configuration(let m): "configuration: \(m)"
        case .startup(let m): "cannot start: \(m)"
        }
    }
}
