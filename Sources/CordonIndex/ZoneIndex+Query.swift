public import CordonCore

extension ZoneIndex {
    /// Appends to `hits` every zone whose core or approach polygon contains `c` (closed), one
    /// hit per zone: `.core` when the point is in the core, else `.approach`. Hits come in
    /// increasing zone order. Allocates nothing when `hits` has the capacity.
    @inlinable
    public func locate(_ c: Coordinate, into hits: inout [ZoneHit]) {
        let x = c.longitude, y = c.latitude
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return }  // also refuses NaN
        root.withUnsafeBufferPointer { root in
            internals.withUnsafeBufferPointer { internals in
                leaves.withUnsafeBufferPointer { leaves in
                    entries.withUnsafeBufferPointer { entries in
                        edges.withUnsafeBufferPointer { edges in
                            Self.locate(
                                x, y, index: self, root: root, internals: internals, leaves: leaves, entries: entries,
                                edges: edges) { hits.append($0) }
                        }
                    }
                }
            }
        }
    }

    /// The hits for one position (allocates the result).
    public func locate(_ c: Coordinate) -> [ZoneHit] {
        var hits: [ZoneHit] = []
        locate(c, into: &hits)
        return hits
    }

    /// Batch locate over contiguous coordinates, writing into caller storage and allocating
    /// nothing. For point i, `counts[i]` hits are written consecutively to `hits`. Stops early
    /// when the next point might not fit (a point has at most 2 × zone-count hits; the check
    /// uses the leaf's entry count) and returns how many points and hits were written, so the
    /// caller can drain `hits` and continue from there.
    public func locate(
        batch points: UnsafeBufferPointer<Coordinate>, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) -> (points: Int, hits: Int) {
        precondition(counts.count >= points.count, "counts must have room for every point")
        return root.withUnsafeBufferPointer { root in
            internals.withUnsafeBufferPointer { internals in
                leaves.withUnsafeBufferPointer { leaves in
                    entries.withUnsafeBufferPointer { entries in
                        edges.withUnsafeBufferPointer { edges in
                            var written = 0
                            for i in 0..<points.count {
                                let x = points[i].longitude, y = points[i].latitude
                                guard x >= minX, x <= maxX, y >= minY, y <= maxY else {
                                    counts[i] = 0
                                    continue
                                }
                                let leaf = Self.leaf(x, y, index: self, root: root, internals: internals)
                                if leaf == 0 {
                                    counts[i] = 0
                                    continue
                                }
                                let l = leaves[Int(leaf & ~Self.leafBit)]
                                if written + Int(l.entryEnd - l.entryStart) > hits.count { return (i, written) }
                                let before = written
                                Self.scan(x, y, leaf: l, entries: entries, edges: edges) { hit in
                                    hits[written] = hit
                                    written += 1
                                }
                                counts[i] = UInt32(written - before)
                            }
                            return (points.count, written)
                        }
                    }
                }
            }
        }
    }

    // MARK: - Core of the query

    /// The leaf reference holding (x, y), or 0 when the point lies in an empty cell.
    @inlinable @inline(__always)
    static func leaf(
        _ x: Double, _ y: Double, index: ZoneIndex, root: UnsafeBufferPointer<UInt32>,
        internals: UnsafeBufferPointer<InternalNode>
    ) -> UInt32 {
        let ix = min(index.columns - 1, Int((x - index.minX) * index.inverseCellWidth))
        let iy = min(index.rows - 1, Int((y - index.minY) * index.inverseCellHeight))
        var node = root[iy * index.columns + ix]
        while node != 0 && node & leafBit == 0 {
            let n = internals[Int(node)]
            let q = (x >= n.cx ? 1 : 0) | (y >= n.cy ? 2 : 0)
            switch q {
            case 0: node = n.children.0
            case 1: node = n.children.1
            case 2: node = n.children.2
            default: node = n.children.3
            }
        }
        return node
    }

    @inlinable @inline(__always)
    static func locate(
        _ x: Double, _ y: Double, index: ZoneIndex, root: UnsafeBufferPointer<UInt32>,
        internals: UnsafeBufferPointer<InternalNode>, leaves: UnsafeBufferPointer<Leaf>,
        entries: UnsafeBufferPointer<Entry>, edges: UnsafeBufferPointer<Edge>, emit: (ZoneHit) -> Void
    ) {
        let leaf = Self.leaf(x, y, index: index, root: root, internals: internals)
        guard leaf != 0 else { return }
        scan(x, y, leaf: leaves[Int(leaf & ~leafBit)], entries: entries, edges: edges, emit: emit)
    }

    /// Tests every area of a leaf. Entries are sorted by area (zone, then core before
    /// approach), so a zone's approach hit is dropped when its core already hit.
    @inlinable @inline(__always)
    static func scan(
        _ x: Double, _ y: Double, leaf: Leaf, entries: UnsafeBufferPointer<Entry>, edges: UnsafeBufferPointer<Edge>,
        emit: (ZoneHit) -> Void
    ) {
        var lastCoreZone = UInt32.max
        let rx = leaf.rx, ry = leaf.ry
        let loX = min(rx, x), hiX = max(rx, x), loY = min(ry, y), hiY = max(ry, y)
        for k in Int(leaf.entryStart)..<Int(leaf.entryEnd) {
            let e = entries[k]
            let zone = e.area >> 1
            let kind: AreaKind = e.area & 1 == 0 ? .core : .approach
            if kind == .approach && zone == lastCoreZone { continue }
            let count = Int(e.edgeCountAndInside & 0x7FFF_FFFF)
            var inside = e.edgeCountAndInside & 0x8000_0000 != 0
            if count > 0 {
                let start = Int(e.edgeStart)
                for j in start..<(start + count) {
                    let g = edges[j]
                    // Neither the point nor the segment ref→point can touch an edge outside their box.
                    if max(g.ax, g.bx) < loX || min(g.ax, g.bx) > hiX || max(g.ay, g.by) < loY || min(g.ay, g.by) > hiY {
                        continue
                    }
                    if Predicates.onSegment(x, y, g.ax, g.ay, g.bx, g.by) {
                        inside = true
                        break
                    }
                    if Predicates.crosses(rx, ry, x, y, g.ax, g.ay, g.bx, g.by) { inside.toggle() }
                }
            }
            if inside {
                emit(ZoneHit(zone: zone, kind: kind))
                if kind == .core { lastCoreZone = zone }
            }
        }
    }
}
