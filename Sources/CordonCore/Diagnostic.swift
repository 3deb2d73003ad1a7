/// One finding about an input: where it is, how bad, a stable code and a readable reason.
///
/// A value type; `Sendable`. Every reader, validator and the import pipeline report through
/// this type, so the CLI, the HTTP API and tests show the same words. `code` is stable and
/// documented in docs/zone-formats.md; `message` is for people.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How bad a finding is: an error refuses the feature, a warning does not. A value; `Sendable`.
    public enum Severity: String, Sendable, Hashable, Comparable {
        case warning
        case error

        public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
    }

    public var severity: Severity
    public var code: String
    public var message: String
    /// The file (as given by the user), or a label such as `<body>`.
    public var file: String
    /// 0-based index of the feature / placemark / line-record in the file, when known.
    public var featureIndex: Int?
    public var featureID: String?
    /// 1-based line and column, for syntax errors and line-oriented formats.
    public var line: Int?
    public var column: Int?

    public init(
        _ severity: Severity, _ code: String, _ message: String, file: String,
        featureIndex: Int? = nil, featureID: String? = nil, line: Int? = nil, column: Int? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = file
        self.featureIndex = featureIndex
        self.featureID = featureID
        self.line = line
        self.column = column
    }

    /// `file:line:col: error: feature 3 (id "a"): message [code]`.
    public var description: String {
        var where_ = file
        if let line { where_ += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        var text = "\(where_): \(severity.rawValue): "
        if let featureIndex {
            text += "feature \(featureIndex)"
            if let featureID { text += " (id \"\(featureID)\")" }
            text += ": "
        }
        return text + message + " [\(code)]"
    }
}
