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
        Self.scan(x, y, leaf: Int(node & ~Self.leafBit), blob: blob.buffer) { hits.append($0) }
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
    /// (`counts[i] > stride`) and can be asked again with `locate(_:into:)`. Points are visited
    /// in root-cell order (one O(n) counting sort per call; its scratch is this call's only
    /// allocation) and in groups whose tree walks run in lockstep, so neighbours share cache
    /// and misses overlap.
    public func locate(
        batch points: UnsafeBufferPointer<Coordinate>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        precondition(counts.count >= points.count && hits.count >= points.count * stride, "output too small")
        let n = points.count
        guard n > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { order in
            sortByRootCell(points, into: order)
            locateGroups(points, order: UnsafeBufferPointer(order), stride: stride, counts: counts, hits: hits)
        }
    }

    /// Writes into `order` the point indices in root-cell order (a counting sort, O(n + cells));
    /// points outside the index go last. Small batches keep their order.
    func sortByRootCell(_ points: UnsafeBufferPointer<Coordinate>, into order: UnsafeMutableBufferPointer<UInt32>) {
        let n = points.count
        let cells = columns * rows
        guard n >= 4096, n >= cells / 64 else {
            for i in 0..<n { order[i] = UInt32(truncatingIfNeeded: i) }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { cellOf in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: cells + 2) { bucket in
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
                var sum = 0
                for c in 0...cells {
                    sum &+= bucket[c]
                    bucket[c] = sum
                }
                for i in 0..<n {
                    let c = Int(cellOf[i])
                    order[bucket[c]] = UInt32(truncatingIfNeeded: i)
                    bucket[c] &+= 1
                }
            }
        }
    }

    /// Locates the points in groups of 16 whose tree walks run in lockstep, so the cache misses
    /// of different points overlap; then scans each point's leaf.
    func locateGroups(
        _ points: UnsafeBufferPointer<Coordinate>, order: UnsafeBufferPointer<UInt32>, stride: Int,
        counts: UnsafeMutableBufferPointer<UInt32>, hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        let n = points.count
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer
        let group = 16
        withUnsafeTemporaryAllocation(of: (x: Double, y: Double, node: UInt32).self, capacity: group) { state in
            var base = 0
            while base < n {
                let m = min(group, n - base)
                // Root cells for the whole group: independent loads.
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
                // Descend one level per round for every point still at an internal node; a
                // point already at a leaf or empty reads node 0 and keeps its reference.
                // Selections are done with masks and address arithmetic: depths differ
                // unpredictably between points.
                let nodes = UnsafeRawPointer(internals.baseAddress.unsafelyUnwrapped)
                let nodeSize = MemoryLayout<InternalNode>.stride
                let childrenOffset = MemoryLayout<InternalNode>.offset(of: \InternalNode.children).unsafelyUnwrapped
                while true {
                    var more: UInt32 = 0
                    for g in 0..<m {
                        let (x, y, node) = state[g]
                        let mask = Self.internalMask(node)
                        let at = Int(node & mask) &* nodeSize
                        let cx = nodes.load(fromByteOffset: at, as: Double.self)
                        let cy = nodes.load(fromByteOffset: at &+ 8, as: Double.self)
                        let quadrant = Int(Self.bit(x >= cx) | Self.bit(y >= cy) << 1)
                        let next = nodes.load(fromByteOffset: at &+ childrenOffset &+ quadrant &* 4, as: UInt32.self)
                        let kept = (next & mask) | (node & ~mask)
                        state[g].node = kept
                        more |= Self.internalMask(kept)
                    }
                    if more == 0 { break }
                }
                // Touch each leaf header, then scan.
                var touch: UInt64 = 0
                for g in 0..<m where state[g].node != 0 { touch &+= blob[Int(state[g].node & ~Self.leafBit)] }
                Self.sink(touch)
                for g in 0..<m {
                    let i = Int(order[base + g])
                    var count = 0
                    let (x, y, node) = state[g]
                    if node != 0 {
                        let out = i * stride
                        Self.scan(x, y, leaf: Int(node & ~Self.leafBit), blob: blob) { hit in
                            if count < stride { hits[out + count] = hit }
                            count += 1
                        }
                    }
                    counts[i] = UInt32(truncatingIfNeeded: count)
                }
                base += m
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
    static func scan(_ x: Double, _ y: Double, leaf w: Int, blob: UnsafeBufferPointer<UInt64>, emit: (ZoneHit) -> Void) {
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
        let entries = layout.reference + 2
        var edge = entries + partial
        var lastCoreZone = UInt32.max
        for p in 0..<partial {
            let entry = blob[entries + p]
            let area = UInt32(truncatingIfNeeded: entry)
            let end = edge + 4 * Int((entry >> 32) & 0x7FFF_FFFF)
            let inside: Bool
            do {
                // Edges run with R not on their right. R→P crosses a→b when P is strictly right
                // of it and a, b lie on different sides of line R→P. (When R is on the line of
                // a→b, outside the edge, a and b are on one side of every other line through R,
                // so no crossing is counted, as in the exact walk.) Filtered signs, without
                // branches; an edge whose signs the filter cannot settle (P on or within
                // rounding of an edge or of line R→P through a vertex) sends the whole entry to
                // the exact walk.
                var parity: UInt64 = 0
                var unsure: UInt64 = 0
                let loX = min(rx, x), hiX = max(rx, x), loY = min(ry, y), hiY = max(ry, y)
                var j = edge
                while j < end {
                    let ax = Double(bitPattern: blob[j]), ay = Double(bitPattern: blob[j + 1])
                    let bx = Double(bitPattern: blob[j + 2]), by = Double(bitPattern: blob[j + 3])
                    j += 4
                    // Neither P nor R→P can touch an edge outside their box.
                    if Predicates.outsideBox(ax, ay, bx, by, loX, hiX, loY, hiY) { continue }
                    let (t, tb) = Predicates.filteredOrientation(ax, ay, bx, by, x, y)  // P against a→b
                    let (oa, ab) = Predicates.filteredOrientation(rx, ry, x, y, ax, ay)  // a against R→P
                    let (ob, bb) = Predicates.filteredOrientation(rx, ry, x, y, bx, by)  // b against R→P
                    let right: UInt64 = t < -tb ? 1 : 0
                    let split: UInt64 = (oa >= 0) != (ob >= 0) ? 1 : 0
                    let unsureEdge: UInt64 = abs(t) > tb ? 0 : 1
                    let unsureSides: UInt64 = (abs(oa) > ab && abs(ob) > bb) ? 0 : 1
                    parity ^= right & split
                    unsure |= unsureEdge | (right & unsureSides)
                }
                if unsure != 0 {
                    inside = walkInside(x, y, rx, ry, entry: entry, edges: edge..<end, blob: blob)
                } else {
                    inside = (entry & insideBit != 0) != (parity != 0)
                }
            }
            edge = end
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

    @inlinable @inline(__always)
    static func bit(_ b: Bool) -> UInt64 { b ? 1 : 0 }

    /// All ones when `node` refers to an internal node (1 ..< leafBit), else zero.
    @inlinable @inline(__always)
    static func internalMask(_ node: UInt32) -> UInt32 {
        // node − 1 < leafBit − 1, as a borrow in 64-bit arithmetic.
        UInt32(truncatingIfNeeded: 0 &- ((UInt64(node &- 1) &- UInt64(leafBit &- 1)) >> 63))
    }

    /// The exact parity walk for one entry: P on an edge is inside; otherwise the reference
    /// point's status flipped once per edge that R→P crosses (any edge orientation).
    @usableFromInline
    static func walkInside(
        _ x: Double, _ y: Double, _ rx: Double, _ ry: Double, entry: UInt64, edges: Range<Int>, blob: UnsafeBufferPointer<UInt64>
    ) -> Bool {
        var inside = entry & insideBit != 0
        let loX = min(rx, x), hiX = max(rx, x), loY = min(ry, y), hiY = max(ry, y)
        var j = edges.lowerBound
        while j < edges.upperBound {
            let ax = Double(bitPattern: blob[j]), ay = Double(bitPattern: blob[j + 1])
            let bx = Double(bitPattern: blob[j + 2]), by = Double(bitPattern: blob[j + 3])
            j += 4
            // Neither the point nor the segment ref→point can touch an edge outside their box.
            if Predicates.outsideBox(ax, ay, bx, by, loX, hiX, loY, hiY) { continue }
            if Predicates.onSegment(x, y, ax, ay, bx, by) { return true }
            if Predicates.crosses(rx, ry, x, y, ax, ay, bx, by) { inside.toggle() }
        }
        return inside
    }
}
