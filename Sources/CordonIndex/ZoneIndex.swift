import CordonCore

/// Which polygon of a zone a position is in: the core area or only its approach buffer.
/// A value; `Sendable`.
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
    /// Node references: 0 empty, `leafBit | word` a leaf blob at `blob[word]`, otherwise an
    /// index into `internals`.
    @usableFromInline let root: FrozenBuffer<UInt32>
    @usableFromInline let internals: FrozenBuffer<InternalNode>
    /// Leaf blobs, one after another, in 8-byte words (docs/index.md): a header
    /// `partialCount | fullCount << 32`; the `fullCount` areas wholly covering the
    /// leaf, two per word; then, when `partialCount > 0`, the reference point `rx, ry` (Double
    /// bits) and the extent (the largest offset of a stored vertex from it, Double bits),
    /// `partialCount` entry words (`area | chainCount << 32`, bit 62: decide with the
    /// exact walk, bit 63: reference point inside) and each entry's chains: a word
    /// `firstVertex | vertexCount << 32`, then the chain's vertices as float32 offsets from the
    /// reference point, `u | w << 32`. Parts built on different threads sit in windows of the
    /// table with never-used (unmapped) words between them.
    @usableFromInline let blob: FrozenBuffer<UInt64>
    /// Every ring's exact vertices as x, y pairs (chains name their first vertex here): read by
    /// the exact walk and the edge queries, not by the common point query.
    @usableFromInline let vertices: FrozenBuffer<Double>

    @usableFromInline static let leafBit: UInt32 = 0x8000_0000
    @usableFromInline static let insideBit: UInt64 = 1 << 63
    @usableFromInline static let exactOnlyBit: UInt64 = 1 << 62
    @usableFromInline static let chainCountMask: UInt64 = 0x3FFF_FFFF

    /// Where the parts of the leaf blob at `w` are.
    @usableFromInline
    struct LeafLayout {
        /// Number of full areas, stored from word `w + 1`, two per word.
        @usableFromInline var fullCount: Int
        @usableFromInline var partialCount: Int
        /// Word of `rx` (then `ry`, the extent, the entries, the chains); meaningful when
        /// `partialCount > 0`.
        @usableFromInline var reference: Int
        /// Word of the first entry.
        @inlinable var entries: Int { reference + 3 }

        @inlinable @inline(__always)
        init(_ blob: UnsafeBufferPointer<UInt64>, _ w: Int) {
            let header = blob[w]
            fullCount = Int(header >> 32)
            partialCount = Int(header & 0xFFFF_FFFF)
            reference = w + 1 + (fullCount + 1) >> 1
        }
    }

    @usableFromInline
    struct InternalNode: Sendable, BitwiseCopyable {
        @usableFromInline var cx: Double
        @usableFromInline var cy: Double
        /// Children by quadrant: bit 0 set when x ≥ cx, bit 1 set when y ≥ cy.
        @usableFromInline var children: (UInt32, UInt32, UInt32, UInt32)
    }

    init(
        zoneIDs: [String], setName: String, version: Int, bounds: BoundingBox, columns: Int, rows: Int,
        root: FrozenBuffer<UInt32>, internals: FrozenBuffer<InternalNode>, blob: FrozenBuffer<UInt64>,
        blobWords: Int? = nil, blobRanges: [Range<Int>]? = nil, vertices: FrozenBuffer<Double>, leafCount: Int, entryCount: Int,
        edgeCount: Int
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
        self.blob = blob
        self.blobWords = blobWords ?? blob.count
        self.blobRanges = blobRanges ?? [0..<blob.count]
        self.vertices = vertices
        self.statistics = (root.count, internals.count, leafCount, entryCount, edgeCount)
    }

    // MARK: - Size

    /// Bytes held by the index structure (excluding zone ids).
    public var memoryBytes: Int {
        root.count * 4 + internals.count * MemoryLayout<InternalNode>.stride + blobWords * 8 + vertices.count * 8
    }

    /// Words of `blob` in use: the builder's parts write into windows of one table, and the
    /// unused end of each window is address space only (no memory).
    let blobWords: Int
    /// The ranges of `blob` the parts wrote, ascending (what `persist` keeps).
    let blobRanges: [Range<Int>]

    /// Counts for docs and benchmarks: root cells, internal nodes, distinct leaf blobs, partial
    /// entries, edge copies.
    public let statistics: (rootCells: Int, internalNodes: Int, leaves: Int, entries: Int, edgeCopies: Int)
}
