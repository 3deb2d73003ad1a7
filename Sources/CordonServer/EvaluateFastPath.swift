#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CordonCore
import Dispatch
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Answers the common `POST /v1/evaluate` request on the connection's event loop, without the
/// hops between the event loop and the Swift concurrency pool that every routed request makes
/// (on a 2-core machine those hops, not the evaluation, set the latency: docs/benchmarks.md).
///
/// It sits in each HTTP/1 connection's pipeline in front of Hummingbird and only answers a
/// small request (at most `maximumBody` bytes and `maximumFixes` fixes, so the event loop is
/// never held for long; larger batches run on the concurrency pool as before) that the router
/// would answer with 200: a token already in the token cache with
/// the vehicle role, within its rate limit, a body `FastBatchDecoder` reads in full with every
/// fix valid and for the token's vehicle, and an active zone set. Every other request,
/// including every error, is passed on unchanged to the router, which gives the documented
/// answer; so the fast path decides nothing the router would decide differently. It
/// evaluates through the same `evaluateResponse`, records the same metrics and directive log,
/// and sends the same headers. While a passed-on request is unanswered it passes on every
/// request, so responses keep their order on the connection.
///
/// Not `Sendable`: one instance per connection, used only on its event loop.
final class EvaluateFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum State {
        case idle
        /// An evaluate request being read here (`head`, `body`, `start`).
        case collecting
        /// A request passed on to the router, until its end.
        case passing
    }

    let services: CordonServices
    private var state = State.idle
    /// The request being read here: its head, its body so far (appended in place), when it began.
    private var head = HTTPRequest(method: .post, scheme: nil, authority: nil, path: nil)
    private var authorization: String?
    private var body = ByteBuffer()
    private var start: UInt64 = 0
    /// Requests passed on whose response has not ended yet.
    private var unanswered = 0
    /// A graceful-shutdown event that arrived while a request was being read here; delivered
    /// once it is answered.
    private var heldEvent: Any?

    /// Larger bodies, and batches of more fixes, go to the router.
    static let maximumBody = 16 << 10
    static let maximumFixes = 64

    init(services: CordonServices) { self.services = services }

    private var bodyLimit: Int { min(Self.maximumBody, services.configuration.bodyLimit) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let request)):
            let fields = Fields(request.headerFields)
            if unanswered == 0, heldEvent == nil, Self.mayAnswer(request, fields, bodyLimit: bodyLimit) {
                let length = fields.contentLength.flatMap { Int($0) } ?? 1024
                head = request
                authorization = fields.authorization
                body = context.channel.allocator.buffer(capacity: min(length, bodyLimit))
                start = DispatchTime.now().uptimeNanoseconds
                state = .collecting
            } else {
                pass(context, [part])
            }
        case (.collecting, .body(var chunk)):
            if body.readableBytes + chunk.readableBytes > bodyLimit {
                pass(context, [.head(head), .body(takeBody()), .body(chunk)])
            } else {
                body.writeBuffer(&chunk)
            }
        case (.collecting, .end(let trailers)):
            state = .idle
            let bytes = takeBody()
            if let text = services.fastEvaluate(authorization: authorization, body: bytes) {
                respond(context, text: text, start: start)
            } else {
                pass(context, [.head(head), .body(bytes), .end(trailers)])
            }
        case (.passing, .end):
            state = .idle
            context.fireChannelRead(data)
        default:
            context.fireChannelRead(data)
        }
    }

    /// The body read so far, leaving none behind.
    private func takeBody() -> ByteBuffer {
        defer { body = ByteBuffer() }
        return body
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, case .collecting = state {
            heldEvent = event  // finish the request being read first
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The header fields the fast path reads, found in one pass over a request's fields (a
    /// lookup by name through `HTTPFields` scans the fields and joins the values each time).
    /// Repeated fields are joined with ", ", as `HTTPFields` does.
    struct Fields {
        var authorization: String?
        var connection: String?
        var expect: String?
        var contentLength: String?

        init(_ fields: HTTPFields) {
            func joined(_ held: String?, _ value: String) -> String { held.map { $0 + ", " + value } ?? value }
            for field in fields {
                switch field.name {
                case .authorization: authorization = joined(authorization, field.value)
                case .connection: connection = joined(connection, field.value)
                case .expect: expect = joined(expect, field.value)
                case .contentLength: contentLength = joined(contentLength, field.value)
                default: break
                }
            }
        }
    }

    /// Whether a request head may be answered here once its body has arrived.
    static func mayAnswer(_ head: HTTPRequest, _ fields: Fields, bodyLimit: Int) -> Bool {
        guard head.method == .post, head.path == "/v1/evaluate", fields.authorization != nil,
            fields.connection?.lowercased() != "close", fields.expect == nil
        else { return false }
        if let length = fields.contentLength {
            guard let n = Int(length), n <= bodyLimit else { return false }
        }
        return true
    }

    private func pass(_ context: ChannelHandlerContext, _ parts: [HTTPRequestPart]) {
        for part in parts {
            if case .head = part { unanswered += 1 }
            if case .end = part { state = .idle } else { state = .passing }
            context.fireChannelRead(wrapInboundOut(part))
        }
        deliverHeldEvent(context)
    }

    /// A held shutdown event goes on once the request it waited for is answered here or
    /// handed to the router (whose connection handler then closes after its response).
    private func deliverHeldEvent(_ context: ChannelHandlerContext) {
        guard let event = heldEvent else { return }
        heldEvent = nil
        context.fireUserInboundEventTriggered(event)
    }

    private func respond(_ context: ChannelHandlerContext, text: String, start: UInt64) {
        let body = context.channel.allocator.buffer(string: text)
        let head = HTTPResponse(
            status: .ok,
            headerFields: [
                .contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes),
                .date: HTTPDate.now(), .server: CordonServices.serverName,
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        services.metrics.recordRequest(
            route: "/v1/evaluate", method: "POST", status: 200, nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
        services.metrics.fastPathResponses.increment()
        deliverHeldEvent(context)
    }
}

extension CordonServices {
    /// The `Server` header of every response.
    static let serverName = "cordon"

    /// The response body for an evaluate request the fast path may answer, or nil when the
    /// router must answer it (see `EvaluateFastPath`). Checks without side effects come first;
    /// the rate limit is taken last, just before evaluating.
    func fastEvaluate(authorization header: String?, body: ByteBuffer) -> String? {
        guard let header, let secret = AuthMiddleware.bearerSecret(header),
            let cached = tokens.cached(secret: secret), let token = cached, token.role == .vehicle
        else { return nil }
        guard let fixes = FastBatchDecoder.decode(Array(body.readableBytesView), limit: configuration.batchLimit),
            fixes.count <= EvaluateFastPath.maximumFixes
        else { return nil }
        if let bound = token.vehicleID, fixes.contains(where: { $0.vehicleID != bound }) { return nil }
        guard zones.fleet != nil, limiter.admit(token.id) == nil else { return nil }
        return try? evaluateResponse(fixes, identity: token, readsStore: false)
    }
}

/// The `Date` header value (RFC 9110 IMF-fixdate), made once per second. `Sendable`.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        var t = time(nil)
        let second = Int(t)
        if let hit = cache.withLock({ $0.second == second ? $0.text : nil }) { return hit }
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "\(days[Int(parts.tm_wday) % 7]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon) % 12]) \(1900 + Int(parts.tm_year)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        cache.withLock { $0 = (second, text) }
        return text
    }
}
