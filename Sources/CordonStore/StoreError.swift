/// Failures of the zone store. `Sendable`. The CLI maps every case to exit code 3 except
/// `notFound` and `conflict`, which are the user's to fix (exit code 1).
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case open(path: String, message: String)
    case notFound(String)
    case conflict(String)
    case database(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .open(let path, let message): "cannot open database \(path): \(message)"
        case .notFound(let what): what
        case .conflict(let what): what
        case .database(let message): "database error: \(message)"
        case .corrupt(let message): "stored data is damaged: \(message)"
        }
    }
}
