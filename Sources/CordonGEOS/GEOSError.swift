/// Failures of the GEOS bridge. `Sendable`.
public enum GEOSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `GEOS_init_r` returned NULL.
    case contextUnavailable
    /// A GEOS call failed; `message` is GEOS's last error text.
    case exception(operation: String, message: String)
    /// GEOS returned a geometry Cordon does not handle here.
    case unexpectedGeometry(operation: String, type: String)

    public var description: String {
        switch self {
        case .contextUnavailable: "GEOS: could not create a context"
        case .exception(let operation, let message): "GEOS \(operation) failed: \(message)"
        case .unexpectedGeometry(let operation, let type): "GEOS \(operation) returned a \(type)"
        }
    }
}
