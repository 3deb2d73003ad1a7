import CGEOS
public import CordonCore

/// GEOS as the authority on point containment: an STRtree of area envelopes and a prepared
/// geometry per area; `covering` makes a GEOS point per query (GEOS 3.11 has no prepared XY
/// predicates) and asks `GEOSPreparedIntersects` (= covers for a point).
///
/// Not thread-safe; owned by the thread that owns its `GEOSContext`. Used as the oracle in
/// tests and the baseline in benchmarks, never on the per-position path.
public final class GEOSPointOracle {
    public let context: GEOSContext
    private var geometries: [GEOSGeometryHandle] = []
    private var prepared: [OpaquePointer] = []
    private var ids: [UInt32] = []
    private var tree: OpaquePointer?
    /// Scratch for the STRtree callback.
    private final class Candidates { var items: [Int] = [] }
    private let candidates = Candidates()

    /// Builds from `(id, geometry)` areas; ids are returned by queries.
    public init(context: GEOSContext, areas: [(id: UInt32, geometry: MultiPolygon)]) throws(GEOSError) {
        self.context = context
        guard let tree = GEOSSTRtree_create_r(context.handle, 10) else { throw context.failure("STRtree_create") }
        self.tree = tree
        for (k, area) in areas.enumerated() {
            let g = try context.geometry(area.geometry)
            guard let p = GEOSPrepare_r(context.handle, g.pointer) else { throw context.failure("prepare") }
            geometries.append(g)
            prepared.append(p)
            ids.append(area.id)
            // The tree keeps only the item (our position + 1) and the geometry's envelope.
            GEOSSTRtree_insert_r(context.handle, tree, g.pointer, UnsafeMutableRawPointer(bitPattern: k + 1))
        }
    }

    deinit {
        for p in prepared { GEOSPreparedGeom_destroy_r(context.handle, p) }
        if let tree { GEOSSTRtree_destroy_r(context.handle, tree) }
    }

    /// Ids of the areas that contain `c` (closed), in ascending order.
    public func covering(_ c: Coordinate) throws(GEOSError) -> [UInt32] {
        var out: [UInt32] = []
        try covering(c, into: &out)
        return out.sorted()
    }

    /// Appends the ids of the areas that contain `c` (closed), in tree order.
    public func covering(_ c: Coordinate, into out: inout [UInt32]) throws(GEOSError) {
        guard let tree else { return }
        let point = try context.point(c)
        candidates.items.removeAll(keepingCapacity: true)
        let box = Unmanaged.passUnretained(candidates).toOpaque()
        GEOSSTRtree_query_r(context.handle, tree, point.pointer, { item, userdata in
            guard let item, let userdata else { return }
            Unmanaged<Candidates>.fromOpaque(userdata).takeUnretainedValue().items.append(Int(bitPattern: item) - 1)
        }, box)
        for k in candidates.items {
            let r = GEOSPreparedIntersects_r(context.handle, prepared[k], point.pointer)  // 1 true, 0 false, 2 exception
            guard r != 2 else { throw context.failure("preparedIntersects") }
            if r == 1 { out.append(ids[k]) }
        }
    }
}
