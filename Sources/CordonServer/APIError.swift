public import CordonCore
import CordonFormats
import CordonStore
public import Hummingbird
import NIOCore

/// An HTTP error in Cordon's one documented shape (docs/http-api.md, "Errors"):
/// `{"error": {"status": 422, "code": "invalid_fix", "message": "…", "details": […]}}`.
///
/// A value; `Sendable`. This module is the only place errors become HTTP statuses; handlers
/// throw `APIError`, and `ErrorMiddleware` turns anything else (Hummingbird's own 404, an
/// oversized body, an unexpected failure) into the same shape.
public struct APIError: Error, Sendable, HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [JSONValue]
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, details: [JSONValue] = [], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember("status", .number(Double(status.code))), JSONMember("code", .string(code)),
            JSONMember("message", .string(message)),
        ]
        if !details.isEmpty { members.append(JSONMember("details", .array(details))) }
        return .object([JSONMember("error", .object(members))])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(json, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    // MARK: - The common cases

    static func malformedJSON(_ error: FormatError) -> APIError {
        guard case .syntax(_, let line, let column, let message) = error else {
            return APIError(.badRequest, "malformed_json", error.description)
        }
        return APIError(
            .badRequest, "malformed_json", "malformed JSON at line \(line), column \(column): \(message)",
            details: [.object([JSONMember("line", .number(Double(line))), JSONMember("column", .number(Double(column)))])])
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the request body is over the limit of \(limit) bytes")
    }

    static func invalid(_ code: String, _ message: String, details: [JSONValue] = []) -> APIError {
        APIError(.unprocessableContent, code, message, details: details)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    static let unauthorized = APIError(
        .unauthorized, "unauthorized", "a valid bearer token is required (Authorization: Bearer TOKEN)",
        headers: [.wwwAuthenticate: "Bearer realm=\"cordon\""])

    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }

    static func unavailable(_ message: String) -> APIError { APIError(.serviceUnavailable, "not_ready", message) }

    static func storage(_ error: StoreError) -> APIError { APIError(.internalServerError, "storage", error.description) }

    static func vehicleLimit(_ limit: Int) -> APIError {
        APIError(
            .serviceUnavailable, "vehicle_limit",
            "the service holds its limit of \(limit) vehicles; fixes of further new vehicles are refused (serve --max-vehicles)")
    }
}

extension Response {
    /// A JSON response from a `JSONValue`, compact.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(text: JSONWriter().string(value), status: status)
    }

    /// A JSON response from already written JSON text.
    static func json(text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Turns every error thrown below it into the documented error shape, and never lets an
/// unexpected error take more than its request down.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(.contentTooLarge, "body_too_large", "the request body is over the limit").response(
                from: request, context: context)
        } catch let error as HTTPError {
            let code: String =
                switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "body_too_large"
                default: "http_\(error.status.code)"
                }
            let message = error.body ?? (error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return try APIError(error.status, code, message, headers: error.headers).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try APIError(error.status, "http_\(error.status.code)", error.status.reasonPhrase).response(
                from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError(.internalServerError, "internal", "internal error").response(from: request, context: context)
        }
    }
}

extension Request {
    /// The value of query parameter `name`, or nil when it is absent. Given twice, it is refused
    /// (400 `invalid_query`) rather than one of the values picked.
    func query(_ name: String) throws(APIError) -> String? {
        let values = uri.queryParameters.getAll(name)
        guard values.count <= 1 else {
            throw APIError(.badRequest, "invalid_query", "query parameter \(name) is given \(values.count) times")
        }
        return values.first
    }

    /// A yes/no query parameter: `true`, `1`, `yes` or `false`, `0`, `no` (any case); `false`
    /// when absent. Anything else is refused (400 `invalid_query`), not read as `false`.
    func queryFlag(_ name: String) throws(APIError) -> Bool {
        guard let raw = try query(name) else { return false }
        switch raw.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default:
            throw APIError(.badRequest, "invalid_query", "query parameter \(name)=\(raw.prefix(64)) is not true or false")
        }
    }

    /// A whole-number query parameter in `range`, or nil when absent; anything else is refused.
    func queryInt(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let raw = try query(name) else { return nil }
        guard let v = Int(raw), range.contains(v) else {
            throw APIError(
                .badRequest, "invalid_query", "query parameter \(name)=\(raw.prefix(64)) is not a whole number in [\(range.lowerBound), \(range.upperBound)]")
        }
        return v
    }
}
