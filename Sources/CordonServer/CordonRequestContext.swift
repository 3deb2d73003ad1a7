public import CordonStore
public import Hummingbird
public import HummingbirdWebSocket

/// The per-request context: Hummingbird's core storage, the WebSocket upgrade slot, and the
/// caller's token once `AuthMiddleware` has checked it. A value owned by one request.
public struct CordonRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The authenticated token; nil on the open routes (`/healthz`, `/readyz`, `/metrics`).
    public var identity: TokenInfo?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.identity = nil
    }

    /// The caller's token when its role is one of `roles` (and, when `vehicle` is given and
    /// the token is bound to a vehicle, bound to that one); 403 otherwise.
    func require(_ roles: Set<TokenRole>, vehicle: String? = nil) throws(APIError) -> TokenInfo {
        guard let identity else { throw APIError.unauthorized }
        guard roles.contains(identity.role) else {
            let allowed = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw APIError.forbidden("this route needs a token with role \(allowed); this token has role \(identity.role.rawValue)")
        }
        if let vehicle, let bound = identity.vehicleID, bound != vehicle {
            throw APIError.forbidden("this token is bound to another vehicle")
        }
        return identity
    }
}
