import CordonStore
import Hummingbird

/// Checks the bearer token of every request except the open operational routes, and puts the
/// token in the context. 401 without a token, with an unknown one or a revoked one; the route
/// itself decides 403 (`CordonRequestContext.require`).
///
/// Tokens are looked up in the store (one indexed read of a SHA-256) through `TokenCache`, so a
/// revocation made by the CLI in another process takes effect within the cache lifetime (1 s;
/// the cache polls the store for revocations, so tokens in steady use are not read again).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CordonRequestContext
    static let openPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    let tokens: TokenCache
    let limiter: RateLimiter

    /// The token of an `Authorization: Bearer <token>` header (at most 256 bytes), else nil.
    static func bearerSecret(_ header: String) -> String? {
        // As `header.split(separator: " ", maxSplits: 1)` then a case-insensitive "bearer": the
        // scheme is the first run of non-spaces, the secret everything after the space that ends
        // it (at most 256 bytes, not empty); read on the bytes, since every request asks.
        var header = header
        return header.withUTF8 { u -> String? in
            let space = UInt8(ascii: " ")
            var i = 0
            while i < u.count && u[i] == space { i += 1 }
            let scheme = i
            while i < u.count && u[i] != space { i += 1 }
            guard i - scheme == 6, i + 1 < u.count, u.count - (i + 1) <= 256 else { return nil }
            for (k, b) in "bearer".utf8.enumerated() where u[scheme + k] | 0x20 != b { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: u[(i + 1)...]), as: UTF8.self)
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], let secret = Self.bearerSecret(header) else {
            throw APIError.unauthorized
        }
        guard let token = try tokens.token(secret: secret) else { throw APIError.unauthorized }
        if let wait = limiter.admit(token.id) {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(
                .tooManyRequests, "rate_limited", "over the rate limit for this token; retry in \(seconds) s",
                headers: [.retryAfter: String(seconds)])
        }
        var context = context
        context.identity = token
        return try await next(request, context)
    }
}
