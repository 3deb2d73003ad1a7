public import CordonCore
public import CordonStore
import CordonGEOS

/// How an import runs. A value type; `Sendable`; defaults as documented in docs/cli.md.
public struct ImportOptions: Sendable {
    public var read = ZoneReadOptions()
    /// Repair invalid geometry with GEOS MakeValid (and close unclosed rings) instead of refusing it.
    public var repair = false
    /// Store the valid zones even when others are invalid (the invalid ones are still reported).
    public var skipInvalid = false
    /// Zones larger than this (km², on the authalic sphere) are refused. Default 25 million km²,
    /// above the largest country, far below a hemisphere.
    public var maximumAreaSquareKilometres = 25_000_000.0
    /// Force a format instead of detecting it.
    public var format: ZoneFileFormat?
    /// Worker threads for GEOS validation and buffering (each with its own GEOS context).
    public var workers = 0
    /// Compute each zone's approach polygon (its core buffered by `buffer_m` with GEOS). When
    /// false the approach is the core itself: for callers that only ask about core polygons
    /// (`cordon locate --zones` without `--approach`), which skip the costliest stage.
    public var approachBuffers = true

    public init() {}
}

/// Everything an import found and produced, before or after storing.
///
/// A value type; `Sendable`. `diagnostics` are in file order, then feature order.
public struct ImportReport: Sendable {
    public var files: [String]
    public var diagnostics: [Diagnostic]
    /// Features read across all files.
    public var featureCount: Int
    /// Zones that passed every check, with their approach polygons, in file order.
    public var entries: [ZoneSet.Entry]
    /// `sha256:` + hex of the files' bytes, concatenated in the order given.
    public var checksum: String
    /// The version stored, when the import stored one.
    public var stored: ZoneSetVersionInfo?

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// Whether some error is invalid geometry by GEOS (`ValidityProblem`), which importing with
    /// `repair` would try to mend; other errors (a feature that is not a polygon, a bad
    /// property) it leaves as they are.
    public var hasRepairableErrors: Bool { diagnostics.contains { $0.severity == .error && ValidityProblem.codes.contains($0.code) } }
    /// Features that were refused (a file-level error counts its file's features as refused).
    public var rejectedCount: Int { featureCount - entries.count }
}
