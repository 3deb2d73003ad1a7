public import CordonCore

extension ZoneIndex {
    /// Appends to `hits` every zone whose core or approach polygon contains `c` (closed), one
    /// hit per zone: `.core` when the point is in the core, else `.approach`. The order of hits
    /// is unspecified. Allocates nothing when `hits` has the capacity.
    @inlinable
    public func locate(_ c: Coordinate, into hits: inout [ZoneHit]) {
        let x = c.longitude, y = c.latitude
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return }  // also refuses NaN
        let node = Self.descend(x, y, index: self, root: root.buffer, internals: internals.buffer)
        guard node != 0 else { return }
        Self.scan(x, y, leaf: Int(node & ~Self.leafBit), blob: blob.buffer, vertices: vertices.buffer) { hits.append($0) }
    }

    /// The hits for one position (allocates the result).
    public func locate(_ c: Coordinate) -> [ZoneHit] {
        var hits: [ZoneHit] = []
        locate(c, into: &hits)
        return hits
    }

    /// Batch locate over contiguous coordinates into caller storage, allocating nothing.
    ///
    /// Point i's hits go to `hits[i * stride ..< i * stride + min(counts[i], stride)]`;
    /// `counts[i]` is the true number of hits, so a point with more than `stride` hits is seen
    /// (`counts[i] > stride`) and can be asked again with `locate(_:into:)`. On an index larger
    /// than the cache, points are visited in root-cell order (one O(n) counting sort per call,
    /// whose scratch buffers are this call's only allocations, none per point) and in groups
    /// whose tree walks run in lockstep, so neighbours share cache and misses overlap; on a
    /// smaller one (`cachedBatchBytes`), one by one in the caller's order.
    public func locate(
        batch points: UnsafeBufferPointer<Coordinate>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        locate(batch: points, stride: stride, counts: counts, hits: hits, inOrderUpTo: Self.cachedBatchBytes)
    }

    /// The batch locate, point by point in the caller's order when the index's hot tables take
    /// at most `limit` bytes, else sorted and in lockstep groups (tests force either path).
    func locate(
        batch points: UnsafeBufferPointer<Coordinate>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>, inOrderUpTo limit: Int
    ) {
        precondition(counts.count >= points.count && hits.count >= points.count * stride, "output too small")
        let n = points.count
        guard n > 0 else { return }
        if hotBytes <= limit {
            return locateInOrder(points, stride: stride, counts: counts, hits: hits)
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * n) { scratch in
            let order = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            let cells = UnsafeMutableBufferPointer(rebasing: scratch[n..<2 * n])
            let sorted = sortByRootCell(points, into: order, cells: cells)
            locateGroups(
                points, order: UnsafeBufferPointer(order), cells: sorted ? UnsafeBufferPointer(cells) : nil, stride: stride,
                counts: counts, hits: hits)
        }
    }

    /// The largest index (its root grid, nodes and leaves, without the exact vertices) whose
    /// batches run point by point in the caller's order: one that stays in cache gains
    /// nothing from the sort and the lockstep walk, which only hide cache misses, and pays for
    /// them (on Natural Earth's countries, 0.46 MB, 250 instructions a point against 198).
    static let cachedBatchBytes = 4 << 20

    /// Bytes of the tables a point query reads (the exact vertices, read only by the exact
    /// walk, left out).
    var hotBytes: Int { root.count * 4 + internals.count * MemoryLayout<InternalNode>.stride + blobWords * 8 }

    /// The batch point by point, in the caller's order: the single query's descent and scan.
    func locateInOrder(
        _ points: UnsafeBufferPointer<Coordinate>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer
        let vertices = self.vertices.buffer
        for i in points.indices {
            let x = points[i].longitude, y = points[i].latitude
            var node: UInt32 = 0
            if x >= minX, x <= maxX, y >= minY, y <= maxY { node = Self.descend(x, y, index: self, root: root, internals: internals) }
            Self.write(x, y, node: node, point: i, blob: blob, vertices: vertices, stride: stride, counts: counts, hits: hits)
        }
    }

    /// Scans leaf reference `node` (0: an empty cell, no hits) for (x, y), batch point `i`: its
    /// hits into its `stride` slots of `hits`, their true number into `counts[i]`.
    @inline(__always)
    static func write(
        _ x: Double, _ y: Double, node: UInt32, point i: Int, blob: UnsafeBufferPointer<UInt64>,
        vertices: UnsafeBufferPointer<Double>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        var count = 0
        if node != 0 {
            let out = i * stride
            scan(x, y, leaf: Int(node & ~leafBit), blob: blob, vertices: vertices) { hit in
                if count < stride { hits[out + count] = hit }
                count += 1
            }
        }
        counts[i] = UInt32(truncatingIfNeeded: count)
    }

    /// Writes into `order` the point indices in root-cell order (a counting sort, O(n + cells)),
    /// points outside the index last, and into `sortedCells` the root cell of each in that order
    /// (`columns × rows` for one outside): true. Small batches keep their order, and nothing is
    /// written to `sortedCells`: false.
    func sortByRootCell(
        _ points: UnsafeBufferPointer<Coordinate>, into order: UnsafeMutableBufferPointer<UInt32>,
        cells sortedCells: UnsafeMutableBufferPointer<UInt32>
    ) -> Bool {
        let n = points.count
        let cells = columns * rows
        guard n >= 4096, n >= cells / 64, cells < Int(UInt32.max) else {
            for i in 0..<n { order[i] = UInt32(truncatingIfNeeded: i) }
            return false
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { cellOf in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: cells + 2) { bucket in
                bucket.initialize(repeating: 0)
                for i in 0..<n {
                    let x = points[i].longitude, y = points[i].latitude
                    var c = cells
                    if x >= minX, x <= maxX, y >= minY, y <= maxY {
                        c = min(rows - 1, Int((y - minY) * inverseCellHeight)) * columns + min(columns - 1, Int((x - minX) * inverseCellWidth))
                    }
                    cellOf[i] = UInt32(truncatingIfNeeded: c)
                    bucket[c + 1] &+= 1
                }
                var sum: UInt32 = 0
                for c in 0...cells {
                    sum &+= bucket[c]
                    bucket[c] = sum
                }
                for i in 0..<n {
                    let c = Int(cellOf[i])
                    let at = Int(bucket[c])
                    order[at] = UInt32(truncatingIfNeeded: i)
                    sortedCells[at] = cellOf[i]
                    bucket[c] &+= 1
                }
            }
        }
        return true
    }

    /// Locates the points in groups of 16 whose tree walks run in lockstep, so the cache misses
    /// of different points overlap; then scans each point's leaf.
    ///
    /// `cells`, when given, holds the root cell of each point in `order` (`sortByRootCell`), so
    /// that it is not computed again.
    func locateGroups(
        _ points: UnsafeBufferPointer<Coordinate>, order: UnsafeBufferPointer<UInt32>, cells: UnsafeBufferPointer<UInt32>? = nil,
        stride: Int, counts: UnsafeMutableBufferPointer<UInt32>, hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        let n = points.count
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer
        let vertices = self.vertices.buffer
        let cellCount = columns * rows
        let group = 16
        withUnsafeTemporaryAllocation(of: (x: Double, y: Double, node: UInt32).self, capacity: group) { state in
          withUnsafeTemporaryAllocation(of: UInt8.self, capacity: group) { active in
            var base = 0
            while base < n {
                let m = min(group, n - base)
                // Root cells for the whole group: independent loads.
                if let cells {
                    for g in 0..<m {
                        let p = points[Int(order[base + g])]
                        let c = Int(cells[base + g])  // columns × rows for a point outside
                        state[g] = (p.longitude, p.latitude, c < cellCount ? root[c] : 0)
                    }
                } else {
                    for g in 0..<m {
                        let p = points[Int(order[base + g])]
                        let x = p.longitude, y = p.latitude
                        var node: UInt32 = 0
                        if x >= minX, x <= maxX, y >= minY, y <= maxY {
                            let ix = min(columns - 1, Int((x - minX) * inverseCellWidth))
                            let iy = min(rows - 1, Int((y - minY) * inverseCellHeight))
                            node = root[iy * columns + ix]
                        }
                        state[g] = (x, y, node)
                    }
                }
                // Descend one level per round for every point still at an internal node: those
                // are listed in `active`, which each round rewrites with the ones whose child is
                // internal again (written always, the count advanced by 0 or 1: depths differ
                // unpredictably between points, so no branch decides it).
                let nodes = UnsafeRawPointer(internals.baseAddress.unsafelyUnwrapped)
                let nodeSize = MemoryLayout<InternalNode>.stride
                let childrenOffset = MemoryLayout<InternalNode>.offset(of: \InternalNode.children).unsafelyUnwrapped
                var live = 0
                for g in 0..<m {
                    active[live] = UInt8(truncatingIfNeeded: g)
                    live &+= Int(Self.internalMask(state[g].node) & 1)
                }
                while live > 0 {
                    var w = 0
                    for a in 0..<live {
                        let g = Int(active[a])
                        let (x, y, node) = state[g]
                        let at = Int(node) &* nodeSize
                        let cx = nodes.load(fromByteOffset: at, as: Double.self)
                        let cy = nodes.load(fromByteOffset: at &+ 8, as: Double.self)
                        let quadrant = Int(Self.bit(x >= cx) | Self.bit(y >= cy) << 1)
                        let next = nodes.load(fromByteOffset: at &+ childrenOffset &+ quadrant &* 4, as: UInt32.self)
                        state[g].node = next
                        active[w] = UInt8(truncatingIfNeeded: g)
                        w &+= Int(Self.internalMask(next) & 1)
                    }
                    live = w
                }
                // Touch each leaf header, then scan.
                var touch: UInt64 = 0
                for g in 0..<m where state[g].node != 0 { touch &+= blob[Int(state[g].node & ~Self.leafBit)] }
                Self.sink(touch)
                for g in 0..<m {
                    let (x, y, node) = state[g]
                    Self.write(
                        x, y, node: node, point: Int(order[base + g]), blob: blob, vertices: vertices, stride: stride,
                        counts: counts, hits: hits)
                }
                base += m
            }
          }
        }
    }

    // MARK: - Core of the query

    /// Keeps the group's header loads (issued together so their misses overlap) from being
    /// optimised away.
    @usableFromInline @_optimize(none)
    static func sink(_ value: UInt64) {}

    @inlinable @inline(__always)
    static func child(_ n: InternalNode, _ x: Double, _ y: Double) -> UInt32 {
        switch (x >= n.cx ? 1 : 0) | (y >= n.cy ? 2 : 0) {
        case 0: n.children.0
        case 1: n.children.1
        case 2: n.children.2
        default: n.children.3
        }
    }

    /// The leaf reference holding (x, y), or 0 when the point lies in an empty cell. The point
    /// must be inside the index bounds.
    @inlinable @inline(__always)
    static func descend(
        _ x: Double, _ y: Double, index: ZoneIndex, root: UnsafeBufferPointer<UInt32>,
        internals: UnsafeBufferPointer<InternalNode>
    ) -> UInt32 {
        let ix = min(index.columns - 1, Int((x - index.minX) * index.inverseCellWidth))
        let iy = min(index.rows - 1, Int((y - index.minY) * index.inverseCellHeight))
        var node = root[iy * index.columns + ix]
        while node != 0 && node & leafBit == 0 { node = child(internals[Int(node)], x, y) }
        return node
    }

    /// Tests the point against one leaf blob: its full areas hit without a test (the builder
    /// keeps there only areas that need no core/approach arbitration), then the partial entries,
    /// sorted by area, by the parity walk from the reference point; there a zone's approach hit
    /// is dropped when its core hit.
    @inlinable @inline(__always)
    static func scan(
        _ x: Double, _ y: Double, leaf w: Int, blob: UnsafeBufferPointer<UInt64>, vertices: UnsafeBufferPointer<Double>,
        emit: (ZoneHit) -> Void
    ) {
        let layout = LeafLayout(blob, w)
        var k = 0
        while k < layout.fullCount {
            let area = UInt32(truncatingIfNeeded: blob[w + 1 + k >> 1] >> UInt64(32 * (k & 1)))
            emit(ZoneHit(zone: area >> 1, kind: area & 1 == 0 ? .core : .approach))
            k += 1
        }
        let partial = layout.partialCount
        guard partial > 0 else { return }
        let rx = Double(bitPattern: blob[layout.reference]), ry = Double(bitPattern: blob[layout.reference + 1])
        // P relative to R, rounded once, exactly as an orientation filter would compute it; one
        // error bound for every vertex side in the leaf, from the largest stored offset.
        let dx = x - rx, dy = y - ry
        let sideBound = Predicates.sideBound * ((abs(dx) + abs(dy)) * Double(bitPattern: blob[layout.reference + 2])) + Predicates.tinyBound
        let entries = layout.entries
        var cursor = entries + partial
        var lastCoreZone = UInt32.max
        for p in 0..<partial {
            let entry = blob[entries + p]
            let area = UInt32(truncatingIfNeeded: entry)
            let chains = Int((entry >> 32) & chainCountMask)
            let first = cursor
            if area & 1 == 1 && area >> 1 == lastCoreZone {
                // The approach of a zone whose core holds P (it follows its core): no hit of
                // its own, so its chains are only stepped over.
                for _ in 0..<chains { cursor = cursor &+ 1 &+ Int(blob[cursor] >> 32) }
                continue
            }
            // R→P crosses edge a→b when a and b lie strictly on different sides of line R→P and
            // R and P strictly on different sides of line a→b. Every vertex's side is a filtered
            // sign (no branch); only edges whose ends differ, a few per entry, test the second
            // condition. A sign the filter cannot settle (P on or within rounding of an edge, a
            // vertex on or next to line R→P) sends the entry to the exact walk.
            var parity: UInt64 = 0
            var unsure: UInt64 = (entry & exactOnlyBit) >> 62
            // (Offsets within the blob: wrapping arithmetic, no overflow check per chain.)
            for _ in 0..<chains {
                let count = Int(blob[cursor] >> 32)
                var at = cursor &+ 1
                cursor = at &+ count
                var (au, aw) = Self.unpack(blob[at])
                var sideA = Predicates.side(au, aw, dx, dy, bound: sideBound, unsure: &unsure)
                at &+= 1
                while at < cursor {
                    let (bu, bw) = Self.unpack(blob[at])
                    let sideB = Predicates.side(bu, bw, dx, dy, bound: sideBound, unsure: &unsure)
                    if sideA != sideB {
                        let (crosses, unsureC) = Predicates.separates(au, aw, bu, bw, dx, dy)
                        parity ^= crosses
                        unsure |= unsureC
                    }
                    (au, aw, sideA) = (bu, bw, sideB)
                    at &+= 1
                }
            }
            let inside: Bool
            if unsure != 0 {
                inside = walkInside(x, y, rx, ry, entry: entry, chains: first, blob: blob, vertices: vertices)
            } else {
                inside = (entry & insideBit != 0) != (parity != 0)
            }
            guard inside else { continue }
            let zone = area >> 1
            if area & 1 == 0 {
                lastCoreZone = zone
                emit(ZoneHit(zone: zone, kind: .core))
            } else if zone != lastCoreZone {
                emit(ZoneHit(zone: zone, kind: .approach))
            }
        }
    }

    /// A chain vertex's float32 offsets from the reference point.
    @inlinable @inline(__always)
    static func unpack(_ word: UInt64) -> (Double, Double) {
        (Double(Float(bitPattern: UInt32(truncatingIfNeeded: word))), Double(Float(bitPattern: UInt32(truncatingIfNeeded: word >> 32))))
    }

    @inlinable @inline(__always)
    static func bit(_ b: Bool) -> UInt64 { b ? 1 : 0 }

    /// All ones when `node` refers to an internal node (1 ..< leafBit), else zero.
    @inlinable @inline(__always)
    static func internalMask(_ node: UInt32) -> UInt32 {
        // node − 1 < leafBit − 1, as a borrow in 64-bit arithmetic.
        UInt32(truncatingIfNeeded: 0 &- ((UInt64(node &- 1) &- UInt64(leafBit &- 1)) >> 63))
    }

    /// The exact parity walk for one entry, over its chains (from word `chains`) with the exact
    /// vertices: P on an edge is inside; otherwise the reference point's status flipped once per
    /// edge that R→P crosses.
    @usableFromInline
    static func walkInside(
        _ x: Double, _ y: Double, _ rx: Double, _ ry: Double, entry: UInt64, chains first: Int,
        blob: UnsafeBufferPointer<UInt64>, vertices: UnsafeBufferPointer<Double>
    ) -> Bool {
        var inside = entry & insideBit != 0
        let loX = min(rx, x), hiX = max(rx, x), loY = min(ry, y), hiY = max(ry, y)
        var cursor = first
        for _ in 0..<Int((entry >> 32) & chainCountMask) {
            let header = blob[cursor]
            let count = Int(header >> 32)
            cursor += 1 + count
            var v = 2 * Int(header & 0xFFFF_FFFF)
            for _ in 1..<count {
                let ax = vertices[v], ay = vertices[v + 1], bx = vertices[v + 2], by = vertices[v + 3]
                v += 2
                // Neither the point nor the segment ref→point can touch an edge outside their box.
                if Predicates.outsideBox(ax, ay, bx, by, loX, hiX, loY, hiY) { continue }
                if Predicates.onSegment(x, y, ax, ay, bx, by) { return true }
                if Predicates.crosses(rx, ry, x, y, ax, ay, bx, by) { inside.toggle() }
            }
        }
        return inside
    }
}

/// What one point query costs in the index: tree levels below the root cell, areas answered
/// without a test, partial entries tested and edges read. A value, for benchmarks and docs.
public struct QueryCost: Sendable, Hashable {
    public var depth = 0
    public var fullAreas = 0
    public var partialEntries = 0
    public var edges = 0

    public init() {}
}

extension ZoneIndex {
    /// The work `locate(_:into:)` does for `c`: the same descent, counting instead of testing.
    public func cost(of c: Coordinate) -> QueryCost {
        var cost = QueryCost()
        let x = c.longitude, y = c.latitude
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return cost }
        let ix = min(columns - 1, Int((x - minX) * inverseCellWidth))
        let iy = min(rows - 1, Int((y - minY) * inverseCellHeight))
        var node = root.buffer[iy * columns + ix]
        while node != 0 && node & Self.leafBit == 0 {
            node = Self.child(internals.buffer[Int(node)], x, y)
            cost.depth += 1
        }
        guard node != 0 else { return cost }
        let blob = self.blob.buffer
        let w = Int(node & ~Self.leafBit)
        let layout = LeafLayout(blob, w)
        cost.fullAreas = layout.fullCount
        cost.partialEntries = layout.partialCount
        var cursor = layout.entries + layout.partialCount
        for p in 0..<layout.partialCount {
            for _ in 0..<Int((blob[layout.entries + p] >> 32) & Self.chainCountMask) {
                let count = Int(blob[cursor] >> 32)
                cost.edges += count - 1
                cursor += 1 + count
            }
        }
        return cost
    }
}
