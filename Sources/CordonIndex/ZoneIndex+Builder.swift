import Dispatch
import Synchronization
public import CordonCore

extension ZoneIndex {
    /// Builds a `ZoneIndex` from a zone-set version. A value holding only parameters; use it on
    /// one thread at a time (each `build` call owns all its working memory).
    ///
    /// Each zone contributes its core polygon and, when its approach polygon differs (buffer > 0),
    /// the approach polygon. Cost: O(E · depth) for E edges; docs/index.md.
    public struct Builder: Sendable {
        /// A cell with more edges than this is split into four (unless at `maximumDepth`), when
        /// enough of them are short (below).
        public var maximumLeafEdges = 20
        /// An edge is short in a cell when neither side of its bounding box is longer than this
        /// many times the cell's larger side. Only short edges can be separated by splitting.
        public var longEdgeRatio = 2.0
        /// A cell is split only when its short edges are more than `maximumLeafEdges` and more
        /// than this fraction of all its edges (the S2ShapeIndex rule): where long edges
        /// crowd together (many spikes meeting at a point), splitting would copy each of them
        /// into ever more cells without ever separating them, so those cells stay leaves.
        public var minimumShortEdgeFraction = 0.2
        /// Splits below a root cell; 24 halvings of a 5 km cell reach 0.3 mm.
        public var maximumDepth = 24
        /// Root cells per edge (the root grid covers the data's bounding box).
        public var rootCellsPerEdge = 0.5
        /// The most root cells the edges' boxes may cover, per edge on average. Each edge is
        /// tested against every root cell its box covers and copied into those it crosses, so
        /// where long edges would cover more (long spikes or a comb spanning the data), the
        /// grid is made coarser until they fit: work and memory stay linear in the edges.
        public var maximumRootCoverPerEdge = 32
        /// Scales each build part's window of the final leaf-blob table (`WordTable`); tests set
        /// it to 0 so that every part outgrows its window and takes the copying path.
        var blobWindowScale = 1.0

        public init() {}

        public func build(_ set: ZoneSet) -> ZoneIndex {
            build(zoneIDs: set.entries.map(\.zone.id), setName: set.name, version: set.version, areas: ZoneIndex.areas(of: set))
        }

        /// Builds from explicit areas (`area` = zone << 1 | kind); for tests and tools.
        public func build(
            zoneIDs: [String], setName: String = "", version: Int = 0, areas: [(area: UInt32, geometry: MultiPolygon)]
        ) -> ZoneIndex {
            var state = BuildState(parameters: self)
            state.collectEdges(areas)
            return state.finish(zoneIDs: zoneIDs, setName: setName, version: version)
        }
    }
}

extension ZoneIndex {
    /// The areas an index of `set` holds, coded as its hits are (`zone << 1 | kind`): each
    /// zone's core polygon, and its approach polygon when that differs (buffer > 0). What the
    /// builder indexes, and what a baseline (GEOS, the naive scan) must be given to answer
    /// the same question.
    public static func areas(of set: ZoneSet) -> [(area: UInt32, geometry: MultiPolygon)] {
        var areas: [(area: UInt32, geometry: MultiPolygon)] = []
        areas.reserveCapacity(set.entries.count * 2)
        for (z, entry) in set.entries.enumerated() {
            areas.append((UInt32(z) << 1, entry.zone.geometry))
            if entry.approach != entry.zone.geometry { areas.append((UInt32(z) << 1 | 1, entry.approach)) }
        }
        return areas
    }
}

/// The working memory of one build. Not shared.
struct BuildState {
    let parameters: ZoneIndex.Builder
    // Edges: their area, and where they start in `vertices` (they end at the next vertex).
    var edgeArea: [UInt32] = []
    /// Every ring's vertices, closing vertex included, as x, y pairs: the exact coordinates the
    /// index keeps for its exact walks and edge queries. `edgeVertex[e]` is where edge e starts.
    /// Written once by `collectEdges` and handed to the index as is.
    var vertices = FrozenBuffer<Double>([])
    var edgeVertex: [UInt32] = []
    var box = BoundingBox.empty
    // Output.
    var internals: [ZoneIndex.InternalNode] = [ZoneIndex.InternalNode(cx: 0, cy: 0, children: (0, 0, 0, 0))]  // 0 is "empty"
    /// Leaf blobs: a part's window of the final table while rows are built (WordTable).
    var blob = WordTable()
    var fullLeaves: [[UInt32]: UInt32] = [:]  // full set → shared leaf with no partial entry
    var leafCount = 0, entryCount = 0, edgeCount = 0
    // Scratch.
    /// Edge lists of the cells being built, used as a stack: a node appends its children's
    /// lists and truncates them when done, so lists are ranges here and nothing is allocated
    /// per node.
    var arena: [Int32] = []
    /// Per-depth copies of the containment sets, and a leaf's working lists, reused.
    var insideByDepth: [[UInt32]] = []
    var leafEdges: [Int32] = [], leafPartial: [UInt32] = [], leafFull: [UInt32] = [], leafForced: [UInt32] = []
    /// Each edge's quadrants while a node distributes its edges (reused).
    var quadrantMasks: [UInt8] = []
    var margin = 1e-9

    init(parameters: ZoneIndex.Builder) { self.parameters = parameters }

    mutating func collectEdges(_ areas: [(area: UInt32, geometry: MultiPolygon)]) {
        var total = 0
        for (_, geometry) in areas {
            for polygon in geometry.polygons {
                for ring in polygon.rings where ring.coordinates.count > 1 { total += ring.coordinates.count }
            }
        }
        precondition(total < Int(UInt32.max), "too many vertices for one index")
        vertices = FrozenBuffer(count: 2 * total) { out in
            var at = 0
            for (_, geometry) in areas {
                for polygon in geometry.polygons {
                    for ring in polygon.rings where ring.coordinates.count > 1 {
                        for v in ring.coordinates {
                            out[at] = v.longitude
                            out[at + 1] = v.latitude
                            at += 2
                        }
                    }
                }
            }
        }
        var first = 0
        for (area, geometry) in areas {
            for polygon in geometry.polygons {
                for ring in polygon.rings {
                    let c = ring.coordinates
                    guard c.count > 1 else { continue }
                    defer { first += c.count }
                    for k in 0..<(c.count - 1) where c[k] != c[k + 1] {
                        edgeVertex.append(UInt32(first + k))
                        edgeArea.append(area)
                        box.extend(c[k])
                        box.extend(c[k + 1])
                    }
                }
            }
        }
    }

    /// Edge e's end points.
    @inline(__always)
    func edge(_ e: Int) -> (ax: Double, ay: Double, bx: Double, by: Double) {
        let v = 2 * Int(edgeVertex[e])
        let p = vertices.buffer
        return (p[v], p[v + 1], p[v + 2], p[v + 3])
    }

    // MARK: - Geometry helpers

    /// Conservative: true when edge e may touch the rectangle grown by `margin`.
    func edgeTouches(_ e: Int, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Bool {
        let lx = x0 - margin, ly = y0 - margin, hx = x1 + margin, hy = y1 + margin
        let (eax, eay, ebx, eby) = edge(e)
        if max(eax, ebx) < lx || min(eax, ebx) > hx || max(eay, eby) < ly || min(eay, eby) > hy { return false }
        if (eax >= lx && eax <= hx && eay >= ly && eay <= hy) || (ebx >= lx && ebx <= hx && eby >= ly && eby <= hy) {
            return true
        }
        let dx = ebx - eax, dy = eby - eay
        func side(_ px: Double, _ py: Double) -> Double { dx * (py - eay) - dy * (px - eax) }
        let s1 = side(lx, ly), s2 = side(hx, ly), s3 = side(lx, hy), s4 = side(hx, hy)
        return !((s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0) || (s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0))
    }

    /// A reference point inside the rectangle and on no edge of `cellEdges`.
    func referencePoint(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ cellEdges: ArraySlice<Int32>) -> (Double, Double) {
        let w = x1 - x0, h = y1 - y0
        var k = 0.0
        while true {
            let rx = x0 + w * (0.5 + 0.0617 * k), ry = y0 + h * (0.5 + 0.0419 * k)
            var clear = true
            for e in cellEdges {
                let (ax, ay, bx, by) = edge(Int(e))
                if Predicates.onSegment(rx, ry, ax, ay, bx, by) { clear = false; break }
            }
            if clear || k >= 7 { return (rx, ry) }
            k += 1
        }
    }

    /// Toggles membership of every area whose edges (among `first` and `second`, each edge
    /// counted once) segment p→q crosses. Both lists are ascending (cells list their edges in
    /// edge order, children in their parent's order), so an edge in both is met in step.
    mutating func walk(
        from px: Double, _ py: Double, to qx: Double, _ qy: Double, candidates first: ArraySlice<Int32>,
        _ second: ArraySlice<Int32> = [], inside: inout [UInt32]
    ) {
        let lx = min(px, qx), hx = max(px, qx), ly = min(py, qy), hy = max(py, qy)
        func test(_ e: Int32) {
            let i = Int(e)
            let (ax, ay, bx, by) = edge(i)
            if Predicates.outsideBox(ax, ay, bx, by, lx, hx, ly, hy) { return }
            if Predicates.crosses(px, py, qx, qy, ax, ay, bx, by) {
                Self.toggle(edgeArea[i], in: &inside)
            }
        }
        assert(zip(first, first.dropFirst()).allSatisfy { $0 < $1 } && zip(second, second.dropFirst()).allSatisfy { $0 < $1 })
        var a = first.startIndex, b = second.startIndex
        while a < first.endIndex || b < second.endIndex {
            if b == second.endIndex || (a < first.endIndex && first[a] < second[b]) {
                test(first[a])
                a += 1
            } else if a == first.endIndex || second[b] < first[a] {
                test(second[b])
                b += 1
            } else {
                test(first[a])  // in both lists
                a += 1
                b += 1
            }
        }
    }

    /// `v − r` as a float32, and whether it carries the relative error the query's filters
    /// assume (at most 2⁻²⁴ of the difference): false for differences too small for a normal
    /// float32, whose entries the query then always decides with the exact walk.
    static func offset(_ v: Double, from r: Double) -> (Float, Bool) {
        let d = v - r
        let f = Float(d)
        return (f, d == 0 || (abs(d) >= 0x1p-100 && f.isFinite))
    }

    static func toggle(_ area: UInt32, in set: inout [UInt32]) {
        var lo = 0, hi = set.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if set[mid] < area { lo = mid + 1 } else { hi = mid }
        }
        if lo < set.count && set[lo] == area { set.remove(at: lo) } else { set.insert(area, at: lo) }
    }

    // MARK: - Build

    mutating func finish(zoneIDs: [String], setName: String, version: Int) -> ZoneIndex {
        let totalEdges = edgeVertex.count
        guard totalEdges > 0, !box.isEmpty else {
            return ZoneIndex(
                zoneIDs: zoneIDs, setName: setName, version: version,
                bounds: BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: -1, maxLatitude: -1), columns: 1,
                rows: 1, root: FrozenBuffer([0]), internals: FrozenBuffer(internals), blob: FrozenBuffer([UInt64]()),
                vertices: vertices, leafCount: 0, entryCount: 0, edgeCount: 0)
        }
        let w = max(box.maxLongitude - box.minLongitude, 1e-9)
        let h = max(box.maxLatitude - box.minLatitude, 1e-9)
        let target = min(Double(1 << 21), max(1, Double(totalEdges) * parameters.rootCellsPerEdge))
        let side = (w * h / target).squareRoot()
        var size = (columns: max(1, min(1 << 12, Int((w / side).rounded(.up)))), rows: max(1, min(1 << 12, Int((h / side).rounded(.up)))))
        let (product, overflow) = totalEdges.multipliedReportingOverflow(by: max(1, parameters.maximumRootCoverPerEdge))
        let budget = overflow ? Int.max : product
        while size.columns * size.rows > 1 && rootCover(columns: size.columns, rows: size.rows, budget: budget) {
            size = ((size.columns + 1) / 2, (size.rows + 1) / 2)
        }
        let (columns, rows) = size
        let grid = RootGrid(box: box, columns: columns, rows: rows)
        let cw = grid.cellWidth, ch = grid.cellHeight
        let x0 = box.minLongitude, y0 = box.minLatitude

        // Edges into root cells (CSR): count, then fill. The edge list is cut into two halves
        // counted and written on two threads: per cell, the first half's edges come first, each
        // half's in ascending order, so the lists are those of one serial pass.
        let cellCount = columns * rows
        let parts = totalEdges >= 50_000 ? 2 : 1
        let edgeSplit = (0...parts).map { totalEdges * $0 / parts }
        let reader = self  // read-only copy for the workers (the arrays are shared, not copied)
        /// Calls `body` with every root cell edge `e` may touch; returns the cell when it is the only one.
        @Sendable @inline(__always) func visitCells(_ e: Int, _ body: (Int) -> Void) -> Int32 {
            let (ax, ay, bx, by) = reader.edge(e)
            let m = reader.margin
            let i0 = Self.gridIndex(min(ax, bx) - m, x0, cw, columns), i1 = Self.gridIndex(max(ax, bx) + m, x0, cw, columns)
            let j0 = Self.gridIndex(min(ay, by) - m, y0, ch, rows), j1 = Self.gridIndex(max(ay, by) + m, y0, ch, rows)
            if i0 == i1 && j0 == j1 {
                body(j0 * columns + i0)
                return Int32(j0 * columns + i0)
            }
            for j in j0...j1 {
                for i in i0...i1 {
                    let r = grid.rect(i, j)
                    if reader.edgeTouches(e, r.0, r.1, r.2, r.3) { body(j * columns + i) }
                }
            }
            return -1
        }
        // Per edge its only cell, or -1 (then its cells are found again when filling).
        var home = [Int32](repeating: -1, count: totalEdges)
        // counts[p · cellCount + c]: edges of part p in cell c; then where part p writes next.
        var counts = [Int](repeating: 0, count: parts * cellCount)
        home.withUnsafeMutableBufferPointer { homeBuffer in
            counts.withUnsafeMutableBufferPointer { countBuffer in
                let shared = PartBuffers(home: homeBuffer, counts: countBuffer)
                DispatchQueue.concurrentPerform(iterations: parts) { p in
                    let base = p * cellCount
                    for e in edgeSplit[p]..<edgeSplit[p + 1] {
                        shared.home[e] = visitCells(e) { shared.counts[base + $0] += 1 }
                    }
                }
            }
        }
        var cellStart = [Int](repeating: 0, count: cellCount + 1)
        for c in 0..<cellCount {
            var at = cellStart[c]
            for p in 0..<parts {
                let n = counts[p * cellCount + c]
                counts[p * cellCount + c] = at
                at += n
            }
            cellStart[c + 1] = at
        }
        var cellEdges = [Int32](repeating: 0, count: cellStart[cellCount])
        cellEdges.withUnsafeMutableBufferPointer { edgeBuffer in
            home.withUnsafeMutableBufferPointer { homeBuffer in
                counts.withUnsafeMutableBufferPointer { countBuffer in
                    let shared = PartBuffers(home: homeBuffer, counts: countBuffer, edges: edgeBuffer)
                    DispatchQueue.concurrentPerform(iterations: parts) { p in
                        let base = p * cellCount
                        for e in edgeSplit[p]..<edgeSplit[p + 1] {
                            @inline(__always) func put(_ c: Int) {
                                shared.edges[shared.counts[base + c]] = Int32(e)
                                shared.counts[base + c] += 1
                            }
                            let only = shared.home[e]
                            if only >= 0 { put(Int(only)) } else { _ = visitCells(e, put) }
                        }
                    }
                }
            }
        }
        (home, counts) = ([], [])

        // Row walks give each root cell's reference-point containment; subtrees follow. Rows are
        // independent (each starts left of all data), so two workers build halves of them into
        // their own tables, merged below.
        var root = [UInt32](repeating: 0, count: columns * rows)
        // Rows are cut into parts of about equal edge counts; two threads take parts in turn.
        let workerCount = rows >= 16 && totalEdges >= 20_000 ? 8 : 1
        var splits = [0]
        let totalRefs = cellStart[columns * rows]
        for part in 1..<workerCount {
            let target = totalRefs * part / workerCount
            var j = splits[part - 1] + 1
            while j < rows && cellStart[j * columns] < target { j += 1 }
            splits.append(min(j, rows))
        }
        splits.append(rows)
        var fresh = self
        fresh.internals = [ZoneIndex.InternalNode(cx: 0, cy: 0, children: (0, 0, 0, 0))]
        fresh.blob = WordTable()
        fresh.fullLeaves = [:]
        let workers = WorkerSlots(repeating: fresh, count: workerCount)
        defer {
            for k in 0..<workerCount { workers.pointer[k].blob.release() }
            workers.deallocate()
        }
        // Each part writes its leaf blobs straight into its own window of the final table,
        // sized generously from its edge references (address space only: untouched pages are
        // never faulted in, and the unused end of each window is handed back below), so the
        // table is not copied. Windows start on 4 KiB pages.
        func windows(scale: Double) -> [Int] {
            var window = [0]
            for k in 0..<workerCount {
                let refs = cellStart[splits[k + 1] * columns] - cellStart[splits[k] * columns]
                let words = Int(Double(refs * 12 + (splits[k + 1] - splits[k]) * columns * 2) * scale) + 64
                window.append(window[k] + (words + 511) / 512 * 512)
            }
            return window
        }
        var window = windows(scale: parameters.blobWindowScale)
        // Windows past what a leaf reference can address: minimal ones, so the parts spill.
        if window[workerCount] >= Int(ZoneIndex.leafBit) { window = windows(scale: 0) }
        let rowSplits = splits, starts = cellStart, lists = cellEdges
        var windowed = FrozenBuffer<UInt64>(count: window[workerCount]) { table in
            guard let tableBase = table.baseAddress else { return }
            for k in 0..<workerCount {
                workers.pointer[k].blob = WordTable(window: tableBase + window[k], capacity: window[k + 1] - window[k])
            }
            root.withUnsafeMutableBufferPointer { rootBuffer in
                let rootSlots = RootSlots(buffer: rootBuffer)
                let next = Atomic<Int>(0)
                DispatchQueue.concurrentPerform(iterations: min(2, workerCount)) { _ in
                    while true {
                        let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard k < workerCount else { return }
                        workers.pointer[k].buildRows(
                            rowSplits[k]..<rowSplits[k + 1], grid: grid,
                            cellStart: starts, cellEdges: lists, root: rootSlots)
                    }
                }
            }
            for k in 0..<workerCount where !workers.pointer[k].blob.spilled {
                FrozenBuffer<UInt64>.discard(table, window[k] + workers.pointer[k].blob.count..<window[k + 1])
            }
        }
        // Merge: worker k's tables are appended; its references are relocated.
        let spilled = (0..<workerCount).contains { workers.pointer[$0].blob.spilled }
        var internalBase = [1], blobBase = spilled ? [0] : [window[0]]
        var blobWords = 0
        for k in 0..<workerCount {
            internalBase.append(internalBase[k] + workers.pointer[k].internals.count - 1)
            blobBase.append(spilled ? blobBase[k] + workers.pointer[k].blob.count : window[k + 1])
            blobWords += workers.pointer[k].blob.count
        }
        func relocate(_ ref: UInt32, _ k: Int) -> UInt32 {
            if ref == 0 { return 0 }
            if ref & ZoneIndex.leafBit != 0 { return ZoneIndex.leafBit | (ref & ~ZoneIndex.leafBit + UInt32(blobBase[k])) }
            return ref - 1 + UInt32(internalBase[k])
        }
        // Each table is written once, straight into its final frozen buffer.
        var leaves = 0, entries = 0, copies = 0
        for k in 0..<workerCount {
            for j in splits[k]..<splits[k + 1] {
                for i in 0..<columns { root[j * columns + i] = relocate(root[j * columns + i], k) }
            }
            leaves += workers.pointer[k].leafCount
            entries += workers.pointer[k].entryCount
            copies += workers.pointer[k].edgeCount
        }
        let internalTable = FrozenBuffer<ZoneIndex.InternalNode>(count: internalBase[workerCount]) { out in
            out[0] = ZoneIndex.InternalNode(cx: 0, cy: 0, children: (0, 0, 0, 0))
            for k in 0..<workerCount {
                var at = internalBase[k]
                for node in workers.pointer[k].internals.dropFirst() {
                    var n = node
                    n.children = (relocate(n.children.0, k), relocate(n.children.1, k), relocate(n.children.2, k), relocate(n.children.3, k))
                    out[at] = n
                    at += 1
                }
            }
        }
        precondition(blobBase[workerCount] < Int(ZoneIndex.leafBit), "index larger than 16 GiB")
        let blobRanges = (0..<workerCount).map { blobBase[$0]..<blobBase[$0] + workers.pointer[$0].blob.count }
        if spilled {
            // A part outgrew its window: every part is copied into a compact table instead.
            windowed = FrozenBuffer<UInt64>(count: blobWords) { out in
                for k in 0..<workerCount {
                    let source = workers.pointer[k].blob.words
                    if let from = source.baseAddress, let to = out.baseAddress { (to + blobBase[k]).initialize(from: from, count: source.count) }
                    workers.pointer[k].blob.release()  // copied: release it before the next part's copy (peak memory)
                }
            }
        }
        return ZoneIndex(
            zoneIDs: zoneIDs, setName: setName, version: version, bounds: box, columns: columns, rows: rows,
            root: FrozenBuffer(root), internals: internalTable, blob: windowed, blobWords: blobWords,
            blobRanges: blobRanges, vertices: vertices,
            leafCount: leaves,
            entryCount: entries, edgeCount: copies)
    }

    /// Builds the subtrees of root rows `rowRange` into this state's tables.
    mutating func buildRows(
        _ rowRange: Range<Int>, grid: RootGrid, cellStart: [Int], cellEdges: [Int32], root: RootSlots
    ) {
        let columns = grid.columns
        // Reserve generously so that the table never grows by copying (the leaf blobs go to
        // the window `finish` gave this part).
        let refs = cellStart[rowRange.upperBound * columns] - cellStart[rowRange.lowerBound * columns]
        internals.reserveCapacity(refs / 8 + 16)
        for j in rowRange {
            var inside: [UInt32] = []
            var previous: ArraySlice<Int32> = []
            var px = grid.box.minLongitude - grid.cellWidth, py = 0.0
            for i in 0..<columns {
                let cell = j * columns + i
                let list = cellEdges[cellStart[cell]..<cellStart[cell + 1]]
                let r = grid.rect(i, j)
                let (rx, ry) = list.isEmpty ? ((r.0 + r.2) / 2, (r.1 + r.3) / 2) : referencePoint(r.0, r.1, r.2, r.3, list)
                if i == 0 { py = ry }
                if !(previous.isEmpty && list.isEmpty) {
                    walk(from: px, py, to: rx, ry, candidates: previous, list, inside: &inside)
                }
                if !(list.isEmpty && inside.isEmpty) {
                    let start = arena.count
                    arena.append(contentsOf: list)
                    root.buffer[cell] = node(r.0, r.1, r.2, r.3, edges: start..<arena.count, rx: rx, ry: ry, inside: inside, depth: 0)
                    arena.removeSubrange(start...)
                }
                px = rx
                py = ry
                previous = list
            }
        }
        // This part's scratch is no longer needed.
        (arena, insideByDepth) = ([], [])
        (leafEdges, leafPartial, leafFull, leafForced) = ([], [], [], [])
        quadrantMasks = []
    }

    /// The grid column (or row) of coordinate `v` for cells of size `s` from `o`, clamped to
    /// 0 ..< n (NaN to 0). Truncation equals floor once clamped at 0.
    @inline(__always)
    static func gridIndex(_ v: Double, _ o: Double, _ s: Double, _ n: Int) -> Int {
        let t = (v - o) / s
        if !(t >= 0) { return 0 }
        return t >= Double(n - 1) ? n - 1 : Int(t)
    }

    /// Whether the edges' boxes cover more than `budget` cells of a `columns` × `rows` root
    /// grid over `box` (counted as the distribution below would find them, stopping at the budget).
    func rootCover(columns: Int, rows: Int, budget: Int) -> Bool {
        let grid = RootGrid(box: box, columns: columns, rows: rows)
        let cw = grid.cellWidth, ch = grid.cellHeight
        let x0 = box.minLongitude, y0 = box.minLatitude
        var covered = 0
        for e in 0..<edgeVertex.count {
            let (ax, ay, bx, by) = edge(e)
            let i0 = Self.gridIndex(min(ax, bx) - margin, x0, cw, columns), i1 = Self.gridIndex(max(ax, bx) + margin, x0, cw, columns)
            let j0 = Self.gridIndex(min(ay, by) - margin, y0, ch, rows), j1 = Self.gridIndex(max(ay, by) + margin, y0, ch, rows)
            covered += (i1 - i0 + 1) * (j1 - j0 + 1)
            if covered > budget { return true }
        }
        return false
    }

    /// The node for a cell (its edges: `arena[edges]`): empty, a leaf, or four children.
    mutating func node(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, edges list: Range<Int>, rx: Double, ry: Double,
        inside: [UInt32], depth: Int
    ) -> UInt32 {
        if list.isEmpty && inside.isEmpty { return 0 }
        if list.count <= parameters.maximumLeafEdges || depth >= parameters.maximumDepth
            || (x1 - x0) < 1e-10 || (y1 - y0) < 1e-10
        {
            return leaf(edges: list, rx: rx, ry: ry, inside: inside)
        }
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        // Distribute edges: first each edge's quadrants as a mask (one read of its vertices; an
        // edge whose box lies in one quadrant goes there without a test), then the lists, one
        // quadrant after another so each is contiguous in the arena. The same pass counts the
        // short edges, which decide whether the cell is split at all.
        let start = arena.count
        var masks = quadrantMasks
        quadrantMasks = []
        masks.removeAll(keepingCapacity: true)
        let shortLimit = max(x1 - x0, y1 - y0) * parameters.longEdgeRatio
        var shortEdges = 0
        for k in list {
            let i = Int(arena[k])
            let (ax, ay, bx, by) = edge(i)
            if abs(bx - ax) <= shortLimit && abs(by - ay) <= shortLimit { shortEdges += 1 }
            let lx = min(ax, bx) - margin, hx = max(ax, bx) + margin
            let ly = min(ay, by) - margin, hy = max(ay, by) + margin
            let west = lx <= cx, east = hx >= cx, south = ly <= cy, north = hy >= cy
            let alone = (west != east) && (south != north)
            var mask: UInt8 = 0
            for q in 0..<4 {
                let inX = q & 1 == 0 ? west : east, inY = q & 2 == 0 ? south : north
                guard inX && inY else { continue }
                let qx0 = q & 1 == 0 ? x0 : cx, qx1 = q & 1 == 0 ? cx : x1
                let qy0 = q & 2 == 0 ? y0 : cy, qy1 = q & 2 == 0 ? cy : y1
                if alone || edgeTouches(i, qx0, qy0, qx1, qy1) { mask |= 1 << q }
            }
            masks.append(mask)
        }
        if shortEdges <= max(parameters.maximumLeafEdges, Int(parameters.minimumShortEdgeFraction * Double(list.count))) {
            quadrantMasks = masks
            return leaf(edges: list, rx: rx, ry: ry, inside: inside)
        }
        let index = internals.count
        internals.append(ZoneIndex.InternalNode(cx: cx, cy: cy, children: (0, 0, 0, 0)))
        // The four lists after one another, each in the parent's order: sized by a count, then
        // filled through the buffer (appending one at a time to a stored property paid a
        // uniqueness check per edge and quadrant).
        var counts = (0, 0, 0, 0)
        for mask in masks {
            counts.0 += Int(mask & 1)
            counts.1 += Int(mask >> 1 & 1)
            counts.2 += Int(mask >> 2 & 1)
            counts.3 += Int(mask >> 3 & 1)
        }
        let s1 = start + counts.0, s2 = s1 + counts.1, s3 = s2 + counts.2, end = s3 + counts.3
        let ranges = (start..<s1, s1..<s2, s2..<s3, s3..<end)
        arena.append(contentsOf: repeatElement(0, count: end - start))
        arena.withUnsafeMutableBufferPointer { a in
            masks.withUnsafeBufferPointer { m in
                var w = (start, s1, s2, s3)
                var n = 0
                for k in list {
                    let v = a[k], mask = m[n]
                    if mask & 1 != 0 { a[w.0] = v; w.0 += 1 }
                    if mask & 2 != 0 { a[w.1] = v; w.1 += 1 }
                    if mask & 4 != 0 { a[w.2] = v; w.2 += 1 }
                    if mask & 8 != 0 { a[w.3] = v; w.3 += 1 }
                    n += 1
                }
            }
        }
        quadrantMasks = masks
        while insideByDepth.count <= depth + 1 { insideByDepth.append([]) }
        var children: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        for q in 0..<4 {
            let qx0 = q & 1 == 0 ? x0 : cx, qx1 = q & 1 == 0 ? cx : x1
            let qy0 = q & 2 == 0 ? y0 : cy, qy1 = q & 2 == 0 ? cy : y1
            let childEdges = q == 0 ? ranges.0 : q == 1 ? ranges.1 : q == 2 ? ranges.2 : ranges.3
            let (qrx, qry) = referencePoint(qx0, qy0, qx1, qy1, arena[childEdges])
            var childInside = insideByDepth[depth + 1]
            insideByDepth[depth + 1] = []
            childInside.removeAll(keepingCapacity: true)
            childInside.append(contentsOf: inside)
            // The walk from the parent's reference point stays inside the child when that point
            // lies in the child's closed cell (always, when it is the exact centre): then only the
            // child's edges can cross it. Otherwise the parent's edges are needed.
            let parentRefInChild = rx >= qx0 && rx <= qx1 && ry >= qy0 && ry <= qy1
            walk(from: rx, ry, to: qrx, qry, candidates: parentRefInChild ? arena[childEdges] : arena[list], inside: &childInside)
            let child = node(qx0, qy0, qx1, qy1, edges: childEdges, rx: qrx, ry: qry, inside: childInside, depth: depth + 1)
            insideByDepth[depth + 1] = childInside
            switch q {
            case 0: children.0 = child
            case 1: children.1 = child
            default: if q == 2 { children.2 = child } else { children.3 = child }
            }
        }
        arena.removeSubrange(start...)
        internals[index].children = children
        return UInt32(index)
    }

    mutating func leaf(edges list: Range<Int>, rx: Double, ry: Double, inside: [UInt32]) -> UInt32 {
        var byArea = leafEdges, partialAreas = leafPartial, full = leafFull, forcedInside = leafForced
        (leafEdges, leafPartial, leafFull, leafForced) = ([], [], [], [])
        defer { (leafEdges, leafPartial, leafFull, leafForced) = (byArea, partialAreas, full, forcedInside) }
        byArea.removeAll(keepingCapacity: true)
        partialAreas.removeAll(keepingCapacity: true)
        full.removeAll(keepingCapacity: true)
        forcedInside.removeAll(keepingCapacity: true)
        for k in list { byArea.append(arena[k]) }
        byArea.sort { edgeArea[Int($0)] != edgeArea[Int($1)] ? edgeArea[Int($0)] < edgeArea[Int($1)] : $0 < $1 }
        for e in byArea where partialAreas.last != edgeArea[Int(e)] { partialAreas.append(edgeArea[Int(e)]) }
        // Areas wholly containing the leaf: inside at the reference point, with no edge here.
        for a in inside where !partialAreas.contains(a) {
            if a & 1 == 1 {
                let core = a & ~1
                if inside.contains(core) && !partialAreas.contains(core) { continue }  // core covers the leaf
                if partialAreas.contains(core) { forcedInside.append(a); continue }  // decided with the core
            }
            full.append(a)
        }
        // A partial approach area is moot where the core covers the whole leaf.
        partialAreas.removeAll { a in a & 1 == 1 && full.contains(a & ~1) }
        partialAreas.append(contentsOf: forcedInside)
        partialAreas.sort()
        if partialAreas.isEmpty, let shared = fullLeaves[full] { return shared }
        let word = blob.count
        let fullCount = UInt64(full.count)
        blob.append(0)  // header, below
        for k in Swift.stride(from: 0, to: full.count, by: 2) {
            blob.append(UInt64(full[k]) | (k + 1 < full.count ? UInt64(full[k + 1]) << 32 : 0))
        }
        if !partialAreas.isEmpty {
            blob.append(rx.bitPattern)
            blob.append(ry.bitPattern)
            let extentWord = blob.count
            var extent: Float = 0
            blob.append(0)
            let entryBase = blob.count
            blob.appendZeros(partialAreas.count)
            var cursor = 0
            for (k, a) in partialAreas.enumerated() {
                while cursor < byArea.count && edgeArea[Int(byArea[cursor])] < a { cursor += 1 }
                // The area's edges here, in ring order, as chains of consecutive edges: each chain
                // is its first vertex's number and count, then its vertices as float32 offsets
                // from R (exact enough for the filtered signs; the exact walk reads `vertices`).
                var chains: UInt64 = 0
                var exactOnly = false
                while cursor < byArea.count && edgeArea[Int(byArea[cursor])] == a {
                    var last = cursor
                    while last + 1 < byArea.count, edgeArea[Int(byArea[last + 1])] == a,
                        edgeVertex[Int(byArea[last + 1])] == edgeVertex[Int(byArea[last])] &+ 1
                    {
                        last += 1
                    }
                    let g = Int(edgeVertex[Int(byArea[cursor])])
                    let count = last - cursor + 2  // vertices
                    blob.append(UInt64(g) | UInt64(count) << 32)
                    for v in g..<(g + count) {
                        let (u, uSafe) = Self.offset(vertices.buffer[2 * v], from: rx)
                        let (w, wSafe) = Self.offset(vertices.buffer[2 * v + 1], from: ry)
                        exactOnly = exactOnly || !uSafe || !wSafe
                        extent = max(extent, abs(u), abs(w))
                        blob.append(UInt64(u.bitPattern) | UInt64(w.bitPattern) << 32)
                    }
                    edgeCount += count - 1
                    chains += 1
                    cursor = last + 1
                }
                blob[entryBase + k] = UInt64(a) | chains << 32 | (exactOnly ? ZoneIndex.exactOnlyBit : 0)
                    | (inside.contains(a) ? ZoneIndex.insideBit : 0)
            }
            blob[extentWord] = Double(extent).bitPattern
        }
        precondition(partialAreas.count <= Int(UInt32.max), "too many areas in one leaf")
        blob[word] = UInt64(partialAreas.count) | fullCount << 32
        leafCount += 1
        entryCount += partialAreas.count
        precondition(word < Int(ZoneIndex.leafBit), "index larger than 16 GiB")
        let reference = ZoneIndex.leafBit | UInt32(word)
        if partialAreas.isEmpty { fullLeaves[full] = reference }
        return reference
    }
}

/// The root grid's geometry: `columns × rows` equal cells over `box`, the last column and row
/// ending exactly on the box. A value.
struct RootGrid: Sendable {
    let box: BoundingBox
    let columns: Int, rows: Int
    let cellWidth: Double, cellHeight: Double

    init(box: BoundingBox, columns: Int, rows: Int) {
        self.box = box
        self.columns = columns
        self.rows = rows
        cellWidth = max(box.maxLongitude - box.minLongitude, 1e-9) / Double(columns)
        cellHeight = max(box.maxLatitude - box.minLatitude, 1e-9) / Double(rows)
    }

    /// Cell (i, j) as (min x, min y, max x, max y).
    func rect(_ i: Int, _ j: Int) -> (Double, Double, Double, Double) {
        let x0 = box.minLongitude, y0 = box.minLatitude
        return (
            x0 + Double(i) * cellWidth, y0 + Double(j) * cellHeight,
            i == columns - 1 ? box.maxLongitude : x0 + Double(i + 1) * cellWidth,
            j == rows - 1 ? box.maxLatitude : y0 + Double(j + 1) * cellHeight
        )
    }
}

/// Build states of the row parts, each used by one thread at a time.
///
/// `@unchecked Sendable` is safe: the atomic counter hands each part index k to exactly one
/// thread, which alone touches `pointer[k]`; the merge reads them after `concurrentPerform`
/// returns, which orders every write before those reads.
final class WorkerSlots: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<BuildState>
    let count: Int

    init(repeating value: BuildState, count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: value, count: count)
    }

    func deallocate() {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}

/// The per-edge and per-cell tables of the root distribution, shared by its two workers.
///
/// `@unchecked Sendable` is safe: worker p touches only its own edges' `home` entries, its own
/// block of `counts` (`p · cells ..< (p + 1) · cells`) and the `edges` slots those counts hand it,
/// which are disjoint between workers; everything is read after `concurrentPerform` returns.
struct PartBuffers: @unchecked Sendable {
    let home: UnsafeMutableBufferPointer<Int32>
    let counts: UnsafeMutableBufferPointer<Int>
    var edges = UnsafeMutableBufferPointer<Int32>(start: nil, count: 0)
}

/// The root table, written by workers at disjoint cells (each owns whole rows).
///
/// `@unchecked Sendable` is safe: rows are partitioned between workers, and the buffer is read
/// only after `concurrentPerform` returns.
struct RootSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<UInt32>
}
