public import CordonStore
public import Hummingbird
import HummingbirdWebSocket
public import Logging
import ServiceLifecycle

/// Everything the routes share: the configuration, the store, the served zone set and its
/// engine, the directive log, the rate limiter and the metrics.
///
/// `Sendable`: each part is `Sendable` (see each type for its contract); this struct only
/// groups them. Built once per application by `CordonServices.init`.
public struct CordonServices: Sendable {
    public let configuration: ServerConfiguration
    public let store: ZoneStore
    public let zones: ZoneService
    public let metrics: ServerMetrics
    let directiveLog: DirectiveLog
    let limiter: RateLimiter
    let tokens: TokenCache

    /// Opens the database and loads the served set's active version.
    public init(configuration: ServerConfiguration) throws(ServerError) {
        try configuration.check()
        self.configuration = configuration
        do { store = try ZoneStore(path: configuration.databasePath) } catch { throw .startup(error.description) }
        metrics = ServerMetrics()
        zones = try ZoneService(store: store, configuration: configuration, metrics: metrics)
        directiveLog = DirectiveLog(store: store, setName: zones.setName)
        limiter = RateLimiter(rate: configuration.rateLimit, burst: configuration.rateBurst)
        tokens = TokenCache(store: store, lifetime: configuration.tokenCacheSeconds)
    }

    /// The router with every route of docs/openapi.yaml and the middleware stack: metrics
    /// (outermost, so it sees final statuses), errors into the one JSON shape, then auth.
    public func router() -> Router<CordonRequestContext> {
        let router = Router(context: CordonRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(tokens: tokens, limiter: limiter))
        addOperationRoutes(to: router)
        addVehicleRoutes(to: router)
        addAdminRoutes(to: router)
        addOwnerRoutes(to: router)
        return router
    }
}

/// The one application builder that `cordon serve` and the tests use: HTTP/1.1 with WebSocket
/// upgrade on the configured address, plus the background services (directive flushing,
/// retention, zone-set watching, vehicle states saved at shutdown). Run it with `runService()`
/// for SIGTERM/SIGINT handling: the server stops accepting, finishes in-flight requests, then
/// the vehicle states are saved and the services flush and stop.
public func buildApplication(
    _ configuration: ServerConfiguration, logger: Logger = Logger(label: "cordon")
) throws(ServerError) -> some ApplicationProtocol {
    let services = try CordonServices(configuration: configuration)
    return buildApplication(services, logger: logger)
}

/// The same over already built services (tests keep a handle on them).
public func buildApplication(_ services: CordonServices, logger: Logger = Logger(label: "cordon")) -> some ApplicationProtocol {
    let router = services.router()
    let c = services.configuration
    var app = Application(
        router: router,
        server: .http1WebSocketUpgrade(
            webSocketRouter: router,
            configuration: .init(http1: .init(additionalChannelHandlers: [EvaluateFastPath(services: services)]))),
        configuration: .init(address: .hostname(c.host, port: c.port), serverName: CordonServices.serverName),
        logger: logger)
    app.addServices(
        DirectiveFlushService(log: services.directiveLog, interval: c.flushInterval, logger: logger),
        RetentionService(store: services.store, retentionDays: c.retentionDays, interval: c.retentionInterval, logger: logger),
        ZoneWatchService(zones: services.zones, interval: c.watchInterval, logger: logger),
        TokenRevocationService(tokens: services.tokens, logger: logger),
        EvictionService(zones: services.zones, log: services.directiveLog, interval: c.evictionInterval, metrics: services.metrics,
            logger: logger),
        VehicleStateService(zones: services.zones, log: services.directiveLog, logger: logger))
    return app
}
