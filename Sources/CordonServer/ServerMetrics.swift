import CordonCore
import Dispatch
import Hummingbird
import Metrics
public import Prometheus
import Synchronization

/// The service's metrics (docs/http-api.md, "Metrics"), recorded through swift-metrics into
/// one Prometheus registry owned by this application (not the process-global
/// `MetricsSystem`, so several applications, as in tests, keep separate counts).
///
/// `Sendable`: the registry is thread-safe and the metric handles are cached behind a lock.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let fixesEvaluated: Metrics.Counter
    /// Evaluate requests answered on the event loop by `EvaluateFastPath` (also counted in
    /// `cordon_http_requests_total`).
    let fastPathResponses: Metrics.Counter
    let indexBuildSeconds: Metrics.Gauge
    /// Vehicles with a state in memory (set when the metrics are read) and vehicles evicted.
    let vehiclesInMemory: Metrics.Gauge
    let vehiclesEvicted: Metrics.Counter
    private let requestMetrics = Mutex<[RequestKey: (Metrics.Counter, Metrics.Timer)]>([:])
    private let directiveCounters: [Directive.Kind: Metrics.Counter]
    private let versionGauges = Mutex<[String: Metrics.Gauge]>([:])

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        fixesEvaluated = Metrics.Counter(label: "cordon_fixes_evaluated_total", factory: factory)
        fastPathResponses = Metrics.Counter(label: "cordon_http_fast_path_responses_total", factory: factory)
        indexBuildSeconds = Metrics.Gauge(label: "cordon_index_build_seconds", factory: factory)
        vehiclesInMemory = Metrics.Gauge(label: "cordon_vehicles_in_memory", factory: factory)
        vehiclesEvicted = Metrics.Counter(label: "cordon_vehicles_evicted_total", factory: factory)
        var counters: [Directive.Kind: Metrics.Counter] = [:]
        for kind in Directive.Kind.allCases {
            counters[kind] = Metrics.Counter(label: "cordon_directives_total", dimensions: [("kind", kind.rawValue)], factory: factory)
        }
        directiveCounters = counters
    }

    func recordRequest(route: String, method: String, status: Int, nanoseconds: UInt64) {
        let key = RequestKey(route: route, method: method, status: status)
        let (counter, timer) = requestMetrics.withLock { cache in
            if let found = cache[key] { return found }
            let made = (
                Metrics.Counter(
                    label: "cordon_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory),
                Metrics.Timer(
                    label: "cordon_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                    factory: factory)
            )
            cache[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(truncatingIfNeeded: nanoseconds))
    }

    func recordDirectives(_ directives: some Sequence<Directive>) {
        for d in directives { directiveCounters[d.kind]?.increment() }
    }

    func recordActiveVersion(set: String, version: Int) {
        let gauge = versionGauges.withLock { cache in
            if let g = cache[set] { return g }
            let g = Metrics.Gauge(label: "cordon_zone_set_active_version", dimensions: [("set", set)], factory: factory)
            cache[set] = g
            return g
        }
        gauge.record(version)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }
}

/// Counts every request by route pattern (not the raw path, so ids do not explode the label
/// set), method and final status, and times it.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(
            route: route, method: request.method.rawValue, status: response.status.code,
            nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
        return response
    }
}
