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
        Self.scan(x, y, leaf: Int(node & ~Self.leafBit), blob: blob.buffer, fullSets: fullSets.buffer) { hits.append($0) }
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
    /// in root-cell order (one O(n) counting sort per call, the only allocation) and in groups
    /// whose tree walks run in lockstep, so neighbours share cache and misses overlap.
    public func locate(
        batch points: UnsafeBufferPointer<Coordinate>, stride: Int, counts: UnsafeMutableBufferPointer<UInt32>,
        hits: UnsafeMutableBufferPointer<ZoneHit>
    ) {
        precondition(counts.count >= points.count && hits.count >= points.count * stride, "output too small")
        let n = points.count
        guard n > 0 else { return }
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer, fullSets = self.fullSets.buffer
        // Visit the points in root-cell order (a counting sort, O(n + cells)), so that neighbours
        // share nodes and leaves in cache; small batches keep their order. Outside points go last.
        var order = [UInt32](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n { buffer[i] = UInt32(truncatingIfNeeded: i) }
            initialized = n
        }
        if n >= 4096 {
            let cells = columns * rows
            var cellOf = [UInt32](repeating: 0, count: n)
            var bucket = [Int](repeating: 0, count: cells + 2)
            for i in 0..<n {
                let x = points[i].longitude, y = points[i].latitude
                var c = cells
                if x >= minX, x <= maxX, y >= minY, y <= maxY {
                    c = min(rows - 1, Int((y - minY) * inverseCellHeight)) * columns + min(columns - 1, Int((x - minX) * inverseCellWidth))
                }
                cellOf[i] = UInt32(c)
                bucket[c + 1] += 1
            }
            for c in 0...cells { bucket[c + 1] += bucket[c] }
            for i in 0..<n {
                let c = Int(cellOf[i])
                order[bucket[c]] = UInt32(truncatingIfNeeded: i)
                bucket[c] += 1
            }
        }
        let group = 16
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: group) { nodes in
            var base = 0
            while base < n {
                let m = min(group, n - base)
                // Root cells for the whole group: independent loads.
                for g in 0..<m {
                    let p = points[Int(order[base + g])]
                    let x = p.longitude, y = p.latitude
                    if x >= minX, x <= maxX, y >= minY, y <= maxY {
                        let ix = min(columns - 1, Int((x - minX) * inverseCellWidth))
                        let iy = min(rows - 1, Int((y - minY) * inverseCellHeight))
                        nodes[g] = root[iy * columns + ix]
                    } else {
                        nodes[g] = 0
                    }
                }
                // Descend one level at a time for every point still at an internal node.
                var active = true
                while active {
                    active = false
                    for g in 0..<m {
                        let node = nodes[g]
                        guard node != 0 && node & Self.leafBit == 0 else { continue }
                        let p = points[Int(order[base + g])]
                        nodes[g] = Self.child(internals[Int(node)], p.longitude, p.latitude)
                        active = true
                    }
                }
                // Touch each leaf header, then scan.
                var touch: UInt64 = 0
                for g in 0..<m where nodes[g] != 0 { touch &+= blob[Int(nodes[g] & ~Self.leafBit) + 2] }
                Self.sink(touch)
                for g in 0..<m {
                    let i = Int(order[base + g])
                    var count = 0
                    if nodes[g] != 0 {
                        let p = points[i]
                        let out = i * stride
                        Self.scan(p.longitude, p.latitude, leaf: Int(nodes[g] & ~Self.leafBit), blob: blob, fullSets: fullSets) { hit in
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

    /// Tests the point against one leaf blob: the leaf's shared full set hits without a test
    /// (the builder keeps in it only areas that need no core/approach arbitration), then the
    /// partial entries, sorted by area, by the parity walk from the reference point; there a
    /// zone's approach hit is dropped when its core hit.
    @inlinable @inline(__always)
    static func scan(
        _ x: Double, _ y: Double, leaf w: Int, blob: UnsafeBufferPointer<UInt64>, fullSets: UnsafeBufferPointer<UInt32>,
        emit: (ZoneHit) -> Void
    ) {
        let header = blob[w + 2]
        let partial = Int(header & 0xFFFF_FFFF)
        let fullSet = Int(header >> 32)
        let fullEnd = fullSet + 1 + Int(fullSets[fullSet])
        var f = fullSet + 1
        while f < fullEnd {
            let area = fullSets[f]
            emit(ZoneHit(zone: area >> 1, kind: area & 1 == 0 ? .core : .approach))
            f += 1
        }
        guard partial > 0 else { return }
        let rx = Double(bitPattern: blob[w]), ry = Double(bitPattern: blob[w + 1])
        let loX = min(rx, x), hiX = max(rx, x), loY = min(ry, y), hiY = max(ry, y)
        var edge = w + 3 + partial
        var lastCoreZone = UInt32.max
        for p in 0..<partial {
            let entry = blob[w + 3 + p]
            let area = UInt32(truncatingIfNeeded: entry)
            var inside = entry & insideBit != 0
            let end = edge + 4 * Int((entry >> 32) & 0x7FFF_FFFF)
            var j = edge
            while j < end {
                let ax = Double(bitPattern: blob[j]), ay = Double(bitPattern: blob[j + 1])
                let bx = Double(bitPattern: blob[j + 2]), by = Double(bitPattern: blob[j + 3])
                j += 4
                // Neither the point nor the segment ref→point can touch an edge outside their box.
                if max(ax, bx) < loX || min(ax, bx) > hiX || max(ay, by) < loY || min(ay, by) > hiY { continue }
                if Predicates.onSegment(x, y, ax, ay, bx, by) {
                    inside = true
                    break
                }
                if Predicates.crosses(rx, ry, x, y, ax, ay, bx, by) { inside.toggle() }
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
}
