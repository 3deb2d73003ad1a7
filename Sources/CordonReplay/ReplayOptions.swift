
/// How a replay reads its inputs and what it writes. A value; `Sendable`.
public struct ReplayOptions: Sendable {
    /// Input format for every input; nil: from each file's name, else from its first bytes.
    public var format: TripFormat?
    public var columns = ColumnNames()
    /// Stop at the first malformed or invalid row (`ReplayError.malformedRow`).
    public var strict = false
    /// Worker threads for parsing and evaluation (output is the same for any count).
    public var threads = 2
    /// Bytes read per block.
    public var blockBytes = 4 << 20
    /// Memory for sorting input that is not in time order per vehicle, before spilling runs
    /// to disk (in the output directory).
    public var sortMemoryBytes = 24 << 20
    /// Memory for the directives of each worker (as their lines: a `fix.rejected` one per
    /// rejected row, the others per change of state), and twice that for ordering them at the
    /// end, before they go to temporary files in the output directory: a long log, or one full
    /// of duplicate fixes, must not grow the replay with its size.
    public var rejectedMemoryBytes = 16 << 20
    /// Only parse the inputs (the floor for benchmarks); nothing is evaluated or written.
    public var parseOnly = false
    /// The map's width in pixels.
    public var mapWidth = 1200

    public init() {}
}

/// Where a replay is, for a progress display. A value; `Sendable`.
public struct ReplayProgress: Sendable {
    /// "evaluate", "sort", "write".
    public var phase: String
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var rows: Int
}
