public import CordonCore

extension ZoneIndex {
    /// Builds a `ZoneIndex` from a zone-set version. A value holding only parameters; use it on
    /// one thread at a time (each `build` call owns all its working memory).
    ///
    /// Each zone contributes its core polygon and, when its approach polygon differs (buffer > 0),
    /// the approach polygon. Cost: O(E · depth) for E edges; docs/index.md.
    public struct Builder: Sendable {
        /// A cell with more edges than this is split into four (unless at `maximumDepth`).
        public var maximumLeafEdges = 8
        /// Splits below a root cell; 24 halvings of a 5 km cell reach 0.3 mm.
        public var maximumDepth = 24
        /// Root cells per edge (the root grid covers the data's bounding box).
        public var rootCellsPerEdge = 0.5

        public init() {}

        public func build(_ set: ZoneSet) -> ZoneIndex {
            var areas: [(area: UInt32, geometry: MultiPolygon)] = []
            areas.reserveCapacity(set.entries.count * 2)
            for (z, entry) in set.entries.enumerated() {
                areas.append((UInt32(z) << 1, entry.zone.geometry))
                if entry.approach != entry.zone.geometry { areas.append((UInt32(z) << 1 | 1, entry.approach)) }
            }
            return build(zoneIDs: set.entries.map(\.zone.id), setName: set.name, version: set.version, areas: areas)
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

/// The working memory of one build. Not shared.
struct BuildState {
    let parameters: ZoneIndex.Builder
    // Edges, structure of arrays.
    var ax: [Double] = [], ay: [Double] = [], bx: [Double] = [], by: [Double] = []
    var edgeArea: [UInt32] = []
    var box = BoundingBox.empty
    // Output.
    var internals: [ZoneIndex.InternalNode] = [ZoneIndex.InternalNode(cx: 0, cy: 0, children: (0, 0, 0, 0))]  // 0 is "empty"
    var leaves: [ZoneIndex.Leaf] = []
    var entries: [ZoneIndex.Entry] = []
    var edges: [ZoneIndex.Edge] = []
    var fullLeaves: [[UInt32]: UInt32] = [:]
    // Scratch.
    var stamp: [UInt32] = []
    var stampValue: UInt32 = 0
    var margin = 1e-9

    init(parameters: ZoneIndex.Builder) { self.parameters = parameters }

    mutating func collectEdges(_ areas: [(area: UInt32, geometry: MultiPolygon)]) {
        for (area, geometry) in areas {
            for polygon in geometry.polygons {
                for ring in polygon.rings {
                    let c = ring.coordinates
                    guard c.count > 1 else { continue }
                    for k in 0..<(c.count - 1) where c[k] != c[k + 1] {
                        ax.append(c[k].longitude)
                        ay.append(c[k].latitude)
                        bx.append(c[k + 1].longitude)
                        by.append(c[k + 1].latitude)
                        edgeArea.append(area)
                        box.extend(c[k])
                        box.extend(c[k + 1])
                    }
                }
            }
        }
        stamp = [UInt32](repeating: 0, count: ax.count)
    }

    // MARK: - Geometry helpers

    /// Conservative: true when edge e may touch the rectangle grown by `margin`.
    func edgeTouches(_ e: Int, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Bool {
        let lx = x0 - margin, ly = y0 - margin, hx = x1 + margin, hy = y1 + margin
        let eax = ax[e], eay = ay[e], ebx = bx[e], eby = by[e]
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
    func referencePoint(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ cellEdges: [Int32]) -> (Double, Double) {
        let w = x1 - x0, h = y1 - y0
        var k = 0.0
        while true {
            let rx = x0 + w * (0.5 + 0.0617 * k), ry = y0 + h * (0.5 + 0.0419 * k)
            var clear = true
            for e in cellEdges {
                let i = Int(e)
                if Predicates.onSegment(rx, ry, ax[i], ay[i], bx[i], by[i]) { clear = false; break }
            }
            if clear || k >= 7 { return (rx, ry) }
            k += 1
        }
    }

    /// Toggles membership of every area whose edges (among `candidates`) segment p→q crosses.
    mutating func walk(
        from px: Double, _ py: Double, to qx: Double, _ qy: Double, candidates: [Int32], _ more: [Int32] = [],
        inside: inout [UInt32]
    ) {
        stampValue &+= 1
        let lx = min(px, qx), hx = max(px, qx), ly = min(py, qy), hy = max(py, qy)
        for list in [candidates, more] {
            for e in list {
                let i = Int(e)
                if stamp[i] == stampValue { continue }
                stamp[i] = stampValue
                if max(ax[i], bx[i]) < lx || min(ax[i], bx[i]) > hx || max(ay[i], by[i]) < ly || min(ay[i], by[i]) > hy {
                    continue
                }
                if Predicates.crosses(px, py, qx, qy, ax[i], ay[i], bx[i], by[i]) {
                    Self.toggle(edgeArea[i], in: &inside)
                }
            }
        }
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
        let edgeCount = ax.count
        guard edgeCount > 0, !box.isEmpty else {
            return ZoneIndex(
                zoneIDs: zoneIDs, setName: setName, version: version,
                bounds: BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: -1, maxLatitude: -1), columns: 1,
                rows: 1, root: [0], internals: internals, leaves: leaves, entries: entries, edges: edges)
        }
        let w = max(box.maxLongitude - box.minLongitude, 1e-9)
        let h = max(box.maxLatitude - box.minLatitude, 1e-9)
        let target = min(Double(1 << 21), max(1, Double(edgeCount) * parameters.rootCellsPerEdge))
        let side = (w * h / target).squareRoot()
        let columns = max(1, min(1 << 12, Int((w / side).rounded(.up))))
        let rows = max(1, min(1 << 12, Int((h / side).rounded(.up))))
        let cw = w / Double(columns), ch = h / Double(rows)
        let x0 = box.minLongitude, y0 = box.minLatitude

        // Edges into root cells (CSR): count, then fill.
        var cellStart = [Int](repeating: 0, count: columns * rows + 1)
        func cellRange(_ e: Int) -> (Int, Int, Int, Int) {
            let lo = { (v: Double, o: Double, s: Double, n: Int) in max(0, min(n - 1, Int(((v - o) / s).rounded(.down)))) }
            return (
                lo(min(ax[e], bx[e]) - margin, x0, cw, columns), lo(max(ax[e], bx[e]) + margin, x0, cw, columns),
                lo(min(ay[e], by[e]) - margin, y0, ch, rows), lo(max(ay[e], by[e]) + margin, y0, ch, rows)
            )
        }
        func cellRect(_ i: Int, _ j: Int) -> (Double, Double, Double, Double) {
            (x0 + Double(i) * cw, y0 + Double(j) * ch, i == columns - 1 ? box.maxLongitude : x0 + Double(i + 1) * cw,
             j == rows - 1 ? box.maxLatitude : y0 + Double(j + 1) * ch)
        }
        for e in 0..<edgeCount {
            let (i0, i1, j0, j1) = cellRange(e)
            for j in j0...j1 {
                for i in i0...i1 {
                    let r = cellRect(i, j)
                    if i0 == i1 && j0 == j1 || edgeTouches(e, r.0, r.1, r.2, r.3) { cellStart[j * columns + i + 1] += 1 }
                }
            }
        }
        for k in 0..<(columns * rows) { cellStart[k + 1] += cellStart[k] }
        var cellEdges = [Int32](repeating: 0, count: cellStart[columns * rows])
        var fill = cellStart
        for e in 0..<edgeCount {
            let (i0, i1, j0, j1) = cellRange(e)
            for j in j0...j1 {
                for i in i0...i1 {
                    let r = cellRect(i, j)
                    if i0 == i1 && j0 == j1 || edgeTouches(e, r.0, r.1, r.2, r.3) {
                        cellEdges[fill[j * columns + i]] = Int32(e)
                        fill[j * columns + i] += 1
                    }
                }
            }
        }

        // Row walks give each root cell's reference-point containment; subtrees follow.
        var root = [UInt32](repeating: 0, count: columns * rows)
        for j in 0..<rows {
            var inside: [UInt32] = []
            var previous: [Int32] = []
            var px = x0 - cw, py = 0.0
            for i in 0..<columns {
                let cell = j * columns + i
                let list = Array(cellEdges[cellStart[cell]..<cellStart[cell + 1]])
                let r = cellRect(i, j)
                let (rx, ry) = referencePoint(r.0, r.1, r.2, r.3, list)
                if i == 0 { py = ry }
                walk(from: px, py, to: rx, ry, candidates: previous, list, inside: &inside)
                root[cell] = node(r.0, r.1, r.2, r.3, edges: list, rx: rx, ry: ry, inside: inside, depth: 0)
                px = rx
                py = ry
                previous = list
            }
        }
        return ZoneIndex(
            zoneIDs: zoneIDs, setName: setName, version: version, bounds: box, columns: columns, rows: rows,
            root: root, internals: internals, leaves: leaves, entries: entries, edges: edges)
    }

    /// The node for a cell: empty, a leaf, or four children.
    mutating func node(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, edges list: [Int32], rx: Double, ry: Double,
        inside: [UInt32], depth: Int
    ) -> UInt32 {
        if list.isEmpty && inside.isEmpty { return 0 }
        if list.count <= parameters.maximumLeafEdges || depth >= parameters.maximumDepth
            || (x1 - x0) < 1e-10 || (y1 - y0) < 1e-10
        {
            return leaf(edges: list, rx: rx, ry: ry, inside: inside)
        }
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        let index = internals.count
        internals.append(ZoneIndex.InternalNode(cx: cx, cy: cy, children: (0, 0, 0, 0)))
        var children: [UInt32] = []
        for q in 0..<4 {
            let qx0 = q & 1 == 0 ? x0 : cx, qx1 = q & 1 == 0 ? cx : x1
            let qy0 = q & 2 == 0 ? y0 : cy, qy1 = q & 2 == 0 ? cy : y1
            let childEdges = list.filter { edgeTouches(Int($0), qx0, qy0, qx1, qy1) }
            let (qrx, qry) = referencePoint(qx0, qy0, qx1, qy1, childEdges)
            var childInside = inside
            walk(from: rx, ry, to: qrx, qry, candidates: list, inside: &childInside)
            children.append(node(qx0, qy0, qx1, qy1, edges: childEdges, rx: qrx, ry: qry, inside: childInside, depth: depth + 1))
        }
        internals[index].children = (children[0], children[1], children[2], children[3])
        return UInt32(index)
    }

    mutating func leaf(edges list: [Int32], rx: Double, ry: Double, inside: [UInt32]) -> UInt32 {
        if list.isEmpty, let shared = fullLeaves[inside] { return shared }
        let byArea = list.sorted { edgeArea[Int($0)] != edgeArea[Int($1)] ? edgeArea[Int($0)] < edgeArea[Int($1)] : $0 < $1 }
        var partialAreas: [UInt32] = []
        for e in byArea where partialAreas.last != edgeArea[Int(e)] { partialAreas.append(edgeArea[Int(e)]) }
        // All areas of the leaf, sorted: partial ones and those wholly containing it.
        var areas = partialAreas
        for a in inside where !partialAreas.contains(a) { areas.append(a) }
        areas.sort()
        let start = UInt32(entries.count)
        var cursor = 0
        for a in areas {
            let from = edges.count
            while cursor < byArea.count && edgeArea[Int(byArea[cursor])] < a { cursor += 1 }
            while cursor < byArea.count && edgeArea[Int(byArea[cursor])] == a {
                let i = Int(byArea[cursor])
                edges.append(ZoneIndex.Edge(ax: ax[i], ay: ay[i], bx: bx[i], by: by[i]))
                cursor += 1
            }
            let count = UInt32(edges.count - from)
            let isInside = inside.contains(a)
            entries.append(ZoneIndex.Entry(
                area: a, edgeStart: UInt32(from), edgeCountAndInside: count | (isInside ? 0x8000_0000 : 0)))
        }
        leaves.append(ZoneIndex.Leaf(rx: rx, ry: ry, entryStart: start, entryEnd: UInt32(entries.count)))
        let reference = ZoneIndex.leafBit | UInt32(leaves.count - 1)
        if list.isEmpty { fullLeaves[inside] = reference }
        return reference
    }
}
