public import CordonCore

/// Errors that stop a whole file from being read: syntax, size, nesting, encoding.
///
/// `Sendable`. Per-feature problems are not errors but `Diagnostic`s collected in a
/// `ZoneFileReadResult`, so one bad feature does not hide the others.
public enum FormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Malformed text at a 1-based line and column.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// The input is larger than the configured limit.
    case tooLarge(file: String, bytes: Int, limit: Int)
    /// The file's format could not be told from its name or content.
    case unknownFormat(file: String)
    /// The top-level value is not something that holds zones.
    case notZones(file: String, message: String)

    public var description: String {
        switch self {
        case .syntax(let file, let line, let column, let message):
            "\(file):\(line):\(column): error: \(message) [syntax]"
        case .tooLarge(let file, let bytes, let limit):
            "\(file): error: file is \(bytes) bytes, over the limit of \(limit) bytes [too_large]"
        case .unknownFormat(let file):
            "\(file): error: cannot tell the format (expected .geojson, .json, .kml or .wkt) [unknown_format]"
        case .notZones(let file, let message):
            "\(file): error: \(message) [not_zones]"
        }
    }

    /// The same error as a `Diagnostic`, for reports that list everything together.
    public var diagnostic: Diagnostic {
        switch self {
        case .syntax(let file, let line, let column, let message):
            Diagnostic(.error, "syntax", message, file: file, line: line, column: column)
        case .tooLarge(let file, let bytes, let limit):
            Diagnostic(.error, "too_large", "file is \(bytes) bytes, over the limit of \(limit) bytes", file: file)
        case .unknownFormat(let file):
            Diagnostic(
                .error, "unknown_format", "cannot tell the format (expected .geojson, .json, .kml or .wkt)", file: file)
        case .notZones(let file, let message):
            Diagnostic(.error, "not_zones", message, file: file)
        }
    }
}

/// Line and column (1-based, columns in bytes) of a byte offset.
package func lineAndColumn(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    let end = min(offset, bytes.count)
    var i = 0
    while i < end {
        if bytes[i] == 10 { line += 1; lineStart = i + 1 }
        i += 1
    }
    return (line, end - lineStart + 1)
}
