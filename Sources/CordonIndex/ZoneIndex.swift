import CordonCore

/// Which polygon of a zone a position is in: the core area or only its approach buffer.
public enum AreaKind: UInt8, Sendable, Hashable {
    case core = 0
    case approach = 1
}

/// One answer of a point query: the zone (its index in the zone set and in `ZoneIndex.zoneIDs`)
/// and whether the point is in its core or only in its approach area.
/// A value; `Sendable`.
public struct ZoneHit: Hashable, Sendable, Comparable {
    public var zone: UInt32
    public var kind: AreaKind

    @inlinable
    public init(zone: UInt32, kind: AreaKind) {
        self.zone = zone
        self.kind = kind
    }

    public static func < (a: ZoneHit, b: ZoneHit) -> Bool {
        a.zone != b.zone ? a.zone < b.zone : a.kind.rawValue < b.kind.rawValue
    }
}

/// An immutable point-in-zone index over one zone-set version: for a position, which zones'
/// core or approach polygons contain it, exactly (closed: boundary points are inside).
///
/// `Sendable` and read-only after `ZoneIndex.Builder` makes it: any number of threads may query
/// one index at once; nothing on the read path mutates or caches. The index owns copies of the
/// edges it needs and does not keep the `ZoneSet`. Structure and invariants: docs/index.md.
public final class ZoneIndex: Sendable {
    /// Zone ids in zone-set order; `ZoneHit.zone` indexes this array.
    public let zoneIDs: [String]
    public let setName: String
    public let version: Int

    // Root grid over [minX, maxX] × [minY, maxY].
    @usableFromInline let minX: Double
    @usableFromInline let minY: Double
    @usableFromInline let maxX: Double
    @usableFromInline let maxY: Double
    @usableFromInline let inverseCellWidth: Double
    @usableFromInline let inverseCellHeight: Double
    @usableFromInline let columns: Int
    @usableFromInline let rows: Int
    /// Node references: 0 empty, `leafBit | leaf` a leaf, otherwise an index into `internals`.
    @usableFromInline let root: [UInt32]
    @usableFromInline let internals: [InternalNode]
    @usableFromInline let leaves: [Leaf]
    @usableFromInline let entries: [Entry]
    @usableFromInline let edges: [Edge]

    @usableFromInline static let leafBit: UInt32 = 0x8000_0000

    @usableFromInline
    struct InternalNode: Sendable {
        @usableFromInline var cx: Double
        @usableFromInline var cy: Double
        /// Children by quadrant: bit 0 set when x ≥ cx, bit 1 set when y ≥ cy.
        @usableFromInline var children: (UInt32, UInt32, UInt32, UInt32)
    }

    @usableFromInline
    struct Leaf: Sendable {
        /// The reference point: its containment in every area listed is known.
        @usableFromInline var rx: Double
        @usableFromInline var ry: Double
        @usableFromInline var entryStart: UInt32
        @usableFromInline var entryEnd: UInt32
    }

    /// One area in one leaf. `area` is zone << 1 | kind. With no edges the leaf lies wholly in
    /// the area; otherwise the area's edges crossing the leaf are `edges[edgeStart..<+count]`.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var area: UInt32
        @usableFromInline var edgeStart: UInt32
        /// Edge count in the low 31 bits; the top bit is set when the reference point is inside.
        @usableFromInline var edgeCountAndInside: UInt32
    }

    @usableFromInline
    struct Edge: Sendable {
        @usableFromInline var ax: Double
        @usableFromInline var ay: Double
        @usableFromInline var bx: Double
        @usableFromInline var by: Double
    }

    init(
        zoneIDs: [String], setName: String, version: Int, bounds: BoundingBox, columns: Int, rows: Int,
        root: [UInt32], internals: [InternalNode], leaves: [Leaf], entries: [Entry], edges: [Edge]
    ) {
        self.zoneIDs = zoneIDs
        self.setName = setName
        self.version = version
        self.minX = bounds.minLongitude
        self.minY = bounds.minLatitude
        self.maxX = bounds.maxLongitude
        self.maxY = bounds.maxLatitude
        self.columns = columns
        self.rows = rows
        self.inverseCellWidth = Double(columns) / max(bounds.maxLongitude - bounds.minLongitude, 1e-300)
        self.inverseCellHeight = Double(rows) / max(bounds.maxLatitude - bounds.minLatitude, 1e-300)
        self.root = root
        self.internals = internals
        self.leaves = leaves
        self.entries = entries
        self.edges = edges
    }

    // MARK: - Size

    /// Bytes held by the index structure (excluding zone ids).
    public var memoryBytes: Int {
        root.count * 4 + internals.count * MemoryLayout<InternalNode>.stride + leaves.count * MemoryLayout<Leaf>.stride
            + entries.count * MemoryLayout<Entry>.stride + edges.count * MemoryLayout<Edge>.stride
    }

    /// Counts for docs and benchmarks.
    public var statistics: (rootCells: Int, internalNodes: Int, leaves: Int, entries: Int, edgeCopies: Int) {
        (root.count, internals.count, leaves.count, entries.count, edges.count)
    }
}
