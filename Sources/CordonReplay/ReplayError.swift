/// Why a replay stopped. Malformed rows are not errors (they are counted and reported in
/// `ReplayReport`) unless the replay is strict.
///
/// A value; `Sendable`. `description` names the file (and line) and the problem.
public enum ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An input cannot be opened or read, or its header lacks a required column.
    case input(file: String, message: String)
    /// A strict replay met a malformed row.
    case malformedRow(RowIssue)
    /// An output cannot be written.
    case output(file: String, message: String)
    /// The options contradict each other or name something unknown.
    case usage(String)

    public var description: String {
        switch self {
        case .input(let file, let message): "\(file): error: \(message)"
        case .malformedRow(let issue): "\(issue) (--strict: stopped)"
        case .output(let file, let message): "\(file): error: cannot write: \(message)"
        case .usage(let message): "error: \(message)"
        }
    }
}

/// One input row that was not used: where it is and what is wrong with it.
/// A value; `Sendable`.
public struct RowIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
