#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CordonCore

extension ZoneIndex {
    /// Appends one hit per zone whose core or approach polygon the segment a→b touches (closed:
    /// touching an edge or a vertex counts): `.core` when it touches the core, else `.approach`.
    /// The segment is straight in lon/lat, like zone edges. Order unspecified.
    ///
    /// Exact: an area is touched when it contains a, or when one of its edges meets the segment
    /// (exact orientation tests, collinear overlaps included).
    public func zones(touchingSegment a: Coordinate, _ b: Coordinate, into hits: inout [ZoneHit]) {
        var areas: [UInt32] = []
        var cell = Cell()
        forEachArea(touchingSegment: a, b, cell: &cell) { areas.append($0) }
        Self.emitZones(areas, into: &hits)
    }

    /// Appends the number of every zone whose core or approach polygon the segment a→b
    /// touches, as `zones(touchingSegment:_:into:)` decides it; unsorted, a zone may repeat.
    /// Allocates only when `zones` must grow, so a caller that keeps the array allocates
    /// nothing in the steady state.
    ///
    /// With `containingStart: false` the zones whose areas contain `a` are reported only when
    /// the segment also meets one of their edges (for a caller that has just asked the point
    /// query for `a`).
    ///
    /// `cell` is the caller's memory of the leaf cell of its last query (see `Cell`): when the
    /// segment lies inside it, the descent from the root grid is skipped; otherwise it is
    /// replaced by the cell holding `a`.
    public func collectZones(
        touchingSegment a: Coordinate, _ b: Coordinate, containingStart: Bool = true, cell: inout Cell,
        into zones: inout [UInt32]
    ) {
        forEachArea(touchingSegment: a, b, containing: containingStart, byZone: true, cell: &cell) { zones.append($0 >> 1) }
    }

    /// As `collectZones(touchingSegment:_:containingStart:cell:into:)`, descending from the root grid.
    public func collectZones(
        touchingSegment a: Coordinate, _ b: Coordinate, containingStart: Bool = true, into zones: inout [UInt32]
    ) {
        var cell = Cell()
        collectZones(touchingSegment: a, b, containingStart: containingStart, cell: &cell, into: &zones)
    }

    @inline(__always)
    func forEachArea(
        touchingSegment a: Coordinate, _ b: Coordinate, containing: Bool = true, byZone: Bool = false, cell: inout Cell,
        _ body: (UInt32) -> Void
    ) {
        guard a.isValid, b.isValid else { return }
        let box = (min(a.longitude, b.longitude), min(a.latitude, b.latitude), max(a.longitude, b.longitude), max(a.latitude, b.latitude))
        forEachEdge(around: a, in: box, containing: containing, byZone: byZone, cell: &cell, areas: body) { area, ax, ay, bx, by in
            guard Predicates.segmentsIntersect(a.longitude, a.latitude, b.longitude, b.latitude, ax, ay, bx, by) else { return false }
            body(area)
            return true
        }
    }

    /// Appends one hit per zone whose core or approach polygon comes within `radiusMeters` of
    /// `center` (closed: at exactly the radius counts): `.core` when the disk touches the core,
    /// else `.approach`. Order unspecified.
    ///
    /// Distances are measured in the azimuthal equidistant plane of `center` on the authalic
    /// sphere (exact from the centre), to edges drawn straight between projected vertices;
    /// for edges under 1 km within 10 km of the centre this differs from the geodesic distance
    /// to the lon/lat edge by less than 1 cm (docs/index.md).
    public func zones(touchingDisk center: Coordinate, radiusMeters r: Double, into hits: inout [ZoneHit]) {
        var areas: [UInt32] = []
        var cell = Cell()
        forEachArea(touchingDisk: center, radiusMeters: r, cell: &cell) { areas.append($0) }
        Self.emitZones(areas, into: &hits)
    }

    /// Appends the number of every zone whose core or approach polygon comes within
    /// `radiusMeters` of `center`, as `zones(touchingDisk:radiusMeters:into:)` decides it;
    /// unsorted, a zone may repeat. Allocates only when `zones` must grow.
    ///
    /// With `containingCenter: false` the zones whose areas contain `center` are reported only
    /// when one of their edges is within the radius (for a caller that has just asked the point
    /// query for `center`).
    ///
    /// `cell` is the caller's memory of the leaf cell of its last query (see `Cell`): when the
    /// disk lies inside it, the descent from the root grid is skipped; otherwise it is replaced
    /// by the cell holding `center`.
    public func collectZones(
        touchingDisk center: Coordinate, radiusMeters r: Double, containingCenter: Bool = true, cell: inout Cell,
        into zones: inout [UInt32]
    ) {
        forEachArea(touchingDisk: center, radiusMeters: r, containing: containingCenter, byZone: true, cell: &cell) {
            zones.append($0 >> 1)
        }
    }

    /// As `collectZones(touchingDisk:radiusMeters:containingCenter:cell:into:)` with the edge
    /// tests limited to the zones numbered in `amongZones` (a short list, as a vehicle's holds:
    /// the few whose distance a caller needs); zones containing the centre are reported
    /// regardless. Decided in the leaf walk itself, by a 64-bit mask and then the list.
    public func collectZones(
        touchingDisk center: Coordinate, radiusMeters r: Double, containingCenter: Bool = true, amongZones: [UInt32],
        cell: inout Cell, into zones: inout [UInt32]
    ) {
        amongZones.withUnsafeBufferPointer { only in
            forEachArea(touchingDisk: center, radiusMeters: r, containing: containingCenter, byZone: true, cell: &cell, only: only) {
                zones.append($0 >> 1)
            }
        }
    }

    /// As `collectZones(touchingDisk:radiusMeters:containingCenter:cell:into:)`, descending
    /// from the root grid.
    public func collectZones(
        touchingDisk center: Coordinate, radiusMeters r: Double, containingCenter: Bool = true, into zones: inout [UInt32]
    ) {
        var cell = Cell()
        collectZones(touchingDisk: center, radiusMeters: r, containingCenter: containingCenter, cell: &cell, into: &zones)
    }

    @inline(__always)
    func forEachArea(
        touchingDisk center: Coordinate, radiusMeters r: Double, containing: Bool = true, byZone: Bool = false,
        cell: inout Cell, only: UnsafeBufferPointer<UInt32>? = nil, _ body: (UInt32) -> Void
    ) {
        guard center.isValid, r.isFinite, r >= 0 else { return }
        guard r > 0 else {
            if containing { forEachAreaContaining(center, cell: &cell, body) }
            return
        }
        let box = Self.box(around: center, radiusMeters: r)
        let disk = DiskTest(center: center, radius: r)
        // (Closure literals, not one closure value: a stored closure would be allocated per query.)
        forEachEdge(
            around: center, in: box, containing: containing, byZone: byZone, cell: &cell, areas: body, only: only
        ) { area, ax, ay, bx, by in
            disk.report(area, ax, ay, bx, by, body)
        }
        // A disk that reaches past ±180° goes on from the other side of the antimeridian: the
        // edges there are gathered from that side's part of the box (the test measures on the
        // sphere, so they are measured right).
        if box.0 < -180 {
            var settled = SettledAreas(byZone: byZone, only: only)
            forEachEdge(in: (max(-180, box.0 + 360), box.1, 180, box.3), settled: &settled) { area, ax, ay, bx, by in
                disk.report(area, ax, ay, bx, by, body)
            }
        }
        if box.2 > 180 {
            var settled = SettledAreas(byZone: byZone, only: only)
            forEachEdge(in: (-180, box.1, min(180, box.2 - 360), box.3), settled: &settled) { area, ax, ay, bx, by in
                disk.report(area, ax, ay, bx, by, body)
            }
        }
    }

    /// A box in degrees (min lon, min lat, max lon, max lat) that surely holds every point
    /// within `radiusMeters` of `center` as the disk queries measure it (1 % and 1e-9° of
    /// slack). It may reach past ±180° of longitude: the disk queries then also visit that part
    /// on the other side of the antimeridian.
    static func box(around center: Coordinate, radiusMeters r: Double) -> (Double, Double, Double, Double) {
        let dLat = r * 1.01 / (WGS84.authalicRadius * .pi / 180) + 1e-9
        let cosLat = cosDegrees(min(89.999, abs(center.latitude) + dLat))
        let dLon = min(360, dLat / max(cosLat, 1e-9))
        return (center.longitude - dLon, center.latitude - dLat, center.longitude + dLon, center.latitude + dLat)
    }

    /// The box the disk queries search for a disk of `radiusMeters` around `center`
    /// (`collectZones(touchingDisk:…)`): an area whose vertices' bounding box misses it has no
    /// edge within the radius, so those queries report it only when it contains `center`. It
    /// may reach past ±180° of longitude; the queries then also search that part on the other
    /// side of the antimeridian.
    public static func searchBox(around center: Coordinate, radiusMeters r: Double) -> BoundingBox {
        let (x0, y0, x1, y1): (Double, Double, Double, Double) = box(around: center, radiusMeters: r)
        return BoundingBox(minLongitude: x0, minLatitude: y0, maxLongitude: x1, maxLatitude: y1)
    }

    // MARK: - Cells

    /// A leaf cell of one index: the leaf holding some position and the cell's rectangle. A
    /// caller whose queries move little from one call to the next (a vehicle's consecutive
    /// fixes) keeps it and passes it back, and a query whose box lies inside it skips the
    /// descent from the root grid and its cache misses; the answers are the same either way.
    ///
    /// A value; `Sendable`. It holds its index strongly and is used only with that index:
    /// passed to another one it is ignored and replaced. `Cell()` is no cell.
    public struct Cell: Sendable {
        var index: ZoneIndex?
        var node: UInt32 = 0
        var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
        /// The leaf's parent (an internal node; 0 when the leaf hangs from the root grid) and its
        /// cell: a box that leaves the leaf but not the parent is walked from there.
        var parent: UInt32 = 0
        var parentRect = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        /// The parent's parent and its cell, likewise (0 when the parent hangs from the root grid).
        var grandparent: UInt32 = 0
        var grandparentRect = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        /// A rectangle inside the cell that no edge of the leaf meets, so that every point of
        /// it lies in the same areas (`clearAreas`): a query whose box lies inside it touches
        /// exactly those and reads no edge. Found at the cell's second use (`clearKnown`);
        /// empty (min > max) until then or when the point it was grown around lies in an
        /// edge's box.
        var clear = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        var clearKnown = false
        /// The areas containing `clear`, the first `clearAreaCount` of them; the count is −1
        /// when there are more than four (they are then found by the leaf scan).
        var clearAreas: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        var clearAreaCount: Int8 = -1

        public init() {}

        init(index: ZoneIndex, node: UInt32, x0: Double, y0: Double, x1: Double, y1: Double) {
            self.index = index
            self.node = node
            (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1)
        }

        /// Whether `box` (min lon, min lat, max lon, max lat) lies inside `rect` (the same
        /// order) with 1e-9° to spare: rounding may misplace a cell border computed from the
        /// root grid by an ulp.
        @inline(__always)
        static func inside(_ box: (Double, Double, Double, Double), _ rect: (Double, Double, Double, Double)) -> Bool {
            box.0 > rect.0 + 1e-9 && box.2 < rect.2 - 1e-9 && box.1 > rect.1 + 1e-9 && box.3 < rect.3 - 1e-9
        }

        /// Whether `box` lies inside the cell, with 1e-9° to spare.
        @inline(__always)
        func holds(_ box: (Double, Double, Double, Double)) -> Bool { Self.inside(box, (x0, y0, x1, y1)) }

        /// Whether `box` lies inside the clear rectangle, with the same 1e-9° to spare.
        @inline(__always)
        func clearHolds(_ box: (Double, Double, Double, Double)) -> Bool { Self.inside(box, clear) }

        /// Calls `body` with the areas containing the clear rectangle.
        @inline(__always)
        func forEachClearArea(_ x: Double, _ y: Double, in index: ZoneIndex, _ body: (UInt32) -> Void) {
            switch clearAreaCount {
            case 0: return
            case 1: body(clearAreas.0)
            case 2: body(clearAreas.0); body(clearAreas.1)
            case 3: body(clearAreas.0); body(clearAreas.1); body(clearAreas.2)
            case 4: body(clearAreas.0); body(clearAreas.1); body(clearAreas.2); body(clearAreas.3)
            default:
                ZoneIndex.scanAreas(x, y, node: node, blob: index.blob.buffer, vertices: index.vertices.buffer, body)
            }
        }

        /// Grows the clear rectangle around (x, y), a point of the cell: starting from the
        /// whole cell, each edge whose bounding box meets the rectangle cuts it on one side of
        /// the point (the side that keeps the most), so that no edge's box meets what is left.
        /// An edge whose box holds the point leaves no clear rectangle. Any edge that meets the
        /// cell is stored in its leaf, so the rectangle meets no edge at all: the segment from
        /// the point to any point inside it crosses no boundary, and the areas containing the
        /// point contain all of it.
        mutating func findClear(_ x: Double, _ y: Double, in index: ZoneIndex) {
            clearKnown = true
            var k = (x0, y0, x1, y1)
            var blocked = false
            let blob = index.blob.buffer, vertices = index.vertices.buffer
            if node != 0 {
                var settled = SettledAreas(byZone: false)
                ZoneIndex.forEachEdge(ofLeaf: Int(node & ~ZoneIndex.leafBit), blob: blob, vertices: vertices, box: k, settled: &settled) { _, ax, ay, bx, by in
                    if blocked || Predicates.outsideBox(ax, ay, bx, by, k.0, k.2, k.1, k.3) { return false }
                    let lo = (min(ax, bx), min(ay, by)), hi = (max(ax, bx), max(ay, by))
                    var kept = -1.0
                    var cut = k
                    if lo.0 > x, (lo.0 - k.0) * (k.3 - k.1) > kept { (kept, cut) = ((lo.0 - k.0) * (k.3 - k.1), (k.0, k.1, lo.0, k.3)) }
                    if hi.0 < x, (k.2 - hi.0) * (k.3 - k.1) > kept { (kept, cut) = ((k.2 - hi.0) * (k.3 - k.1), (hi.0, k.1, k.2, k.3)) }
                    if lo.1 > y, (k.2 - k.0) * (lo.1 - k.1) > kept { (kept, cut) = ((k.2 - k.0) * (lo.1 - k.1), (k.0, k.1, k.2, lo.1)) }
                    if hi.1 < y, (k.2 - k.0) * (k.3 - hi.1) > kept { (kept, cut) = ((k.2 - k.0) * (k.3 - hi.1), (k.0, hi.1, k.2, k.3)) }
                    if kept < 0 { blocked = true } else { k = cut }
                    return false
                }
            }
            guard !blocked else {
                clear = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
                return
            }
            clear = k
            var count: Int8 = 0
            ZoneIndex.scanAreas(x, y, node: node, blob: blob, vertices: vertices) { area in
                switch count {
                case 0: clearAreas.0 = area
                case 1: clearAreas.1 = area
                case 2: clearAreas.2 = area
                case 3: clearAreas.3 = area
                default: break
                }
                count &+= count < 5 ? 1 : 0
            }
            clearAreaCount = count <= 4 ? count : -1
        }
    }

    // MARK: - Helpers

    /// The root cells' geometry, exactly as the builder laid them out.
    var rootGrid: RootGrid {
        RootGrid(
            box: BoundingBox(minLongitude: minX, minLatitude: minY, maxLongitude: maxX, maxLatitude: maxY),
            columns: columns, rows: rows)
    }

    /// Calls `body` with every area containing `c` (core and approach alike, before
    /// arbitration: an approach area the builder folded away lies under a core that contains
    /// `c` anyway).
    func forEachAreaContaining(_ c: Coordinate, cell: inout Cell, _ body: (UInt32) -> Void) {
        let x = c.longitude, y = c.latitude
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return }
        if !(cell.index === self && cell.holds((x, y, x, y))) { cell = self.cell(x, y) }
        Self.scanAreas(x, y, node: cell.node, blob: blob.buffer, vertices: vertices.buffer, body)
    }

    /// The leaf cell holding (x, y), which must lie inside the index bounds: the descent from
    /// the root grid, tracking the cell's rectangle.
    func cell(_ x: Double, _ y: Double) -> Cell {
        let ix = min(columns - 1, Int((x - minX) * inverseCellWidth))
        let iy = min(rows - 1, Int((y - minY) * inverseCellHeight))
        var (x0, y0, x1, y1) = rootGrid.rect(ix, iy)
        let internals = self.internals.buffer
        var node = root.buffer[iy * columns + ix]
        var parent: UInt32 = 0, grandparent: UInt32 = 0
        var parentRect = (x0, y0, x1, y1), grandparentRect = (x0, y0, x1, y1)
        while node != 0 && node & Self.leafBit == 0 {
            let n = internals[Int(node)]
            (grandparent, grandparentRect) = (parent, parentRect)
            (parent, parentRect) = (node, (x0, y0, x1, y1))
            if x >= n.cx { x0 = n.cx } else { x1 = n.cx }
            if y >= n.cy { y0 = n.cy } else { y1 = n.cy }
            node = Self.child(n, x, y)
        }
        var cell = Cell(index: self, node: node, x0: x0, y0: y0, x1: x1, y1: y1)
        (cell.parent, cell.parentRect) = (parent, parentRect)
        (cell.grandparent, cell.grandparentRect) = (grandparent, grandparentRect)
        return cell
    }

    /// Calls `body` with the area code (`zone << 1 | kind`) of every hit of leaf reference
    /// `node` (nothing for an empty cell).
    @inline(__always)
    static func scanAreas(
        _ x: Double, _ y: Double, node: UInt32, blob: UnsafeBufferPointer<UInt64>, vertices: UnsafeBufferPointer<Double>,
        _ body: (UInt32) -> Void
    ) {
        guard node != 0 else { return }
        scan(x, y, leaf: Int(node & ~leafBit), blob: blob, vertices: vertices) { hit in body(hit.zone << 1 | UInt32(hit.kind.rawValue)) }
    }

    /// Like `forEachEdge(in:_:)` for a box around `c`, and first, when `containing` is true,
    /// calls `areas` with every area containing `c`. When the box lies inside the leaf cell holding
    /// `c` (the common case for a vehicle's disk or look-ahead path), only that leaf's edges are
    /// visited, found by the one descent the point query needs anyway, or without any descent
    /// when the box lies inside `cell`, the caller's cell of an earlier query.
    ///
    /// The edges of the areas already settled are not visited (they could only report those
    /// areas again): with `containing`, the areas reported as containing `c`, and every area
    /// as soon as one of its edges has reported it (in a walk over several leaves, the next
    /// leaves skip it); nor those of the approach area of a zone whose core is settled (the
    /// core decides the zone's hit), nor, `byZone`, any area of a settled zone.
    @inline(__always)
    func forEachEdge(
        around c: Coordinate, in box: (Double, Double, Double, Double), containing: Bool, byZone: Bool = false,
        cell: inout Cell, areas: (UInt32) -> Void, only: UnsafeBufferPointer<UInt32>? = nil,
        _ body: (UInt32, Double, Double, Double, Double) -> Bool
    ) {
        let x = c.longitude, y = c.latitude
        var settled = SettledAreas(byZone: byZone, only: only)
        guard x >= minX, x <= maxX, y >= minY, y <= maxY, columns > 0 else {
            return forEachEdge(in: box, settled: &settled, body)
        }
        let blob = self.blob.buffer, vertices = self.vertices.buffer
        // The box holds c, so a cell that holds the box holds c.
        if !(cell.index === self && cell.holds((x, y, x, y))) {
            cell = self.cell(x, y)
        } else if cell.holds(box) {
            // A cell used again (a vehicle staying in it): its clear rectangle, once.
            if !cell.clearKnown { cell.findClear(x, y, in: self) }
            if cell.clearHolds(box) {
                if containing { cell.forEachClearArea(x, y, in: self, areas) }
                return
            }
        }
        // The areas settled so far, whose edges are skipped: those containing c, then each area
        // as an edge reports it.
        if containing {
            Self.scanAreas(x, y, node: cell.node, blob: blob, vertices: vertices) { area in
                settled.add(area)
                areas(area)
            }
        }
        guard cell.holds(box) else {
            let from = cell.parent != 0 && Cell.inside(box, cell.parentRect) ? cell.parent
                : cell.grandparent != 0 && Cell.inside(box, cell.grandparentRect) ? cell.grandparent : 0
            return forEachEdge(in: box, below: from, settled: &settled, body)
        }
        guard cell.node != 0 else { return }
        Self.forEachEdge(
            ofLeaf: Int(cell.node & ~Self.leafBit), blob: blob, vertices: vertices, box: box, settled: &settled, body)
    }

    /// The areas a query has settled (containing its point, or already reported by an edge): up
    /// to 16 kept inline, past that the rest are not skipped. An area needs no more edge tests
    /// when it is one of them, or the approach of a zone whose core (even code) is one of them,
    /// or, `byZone` (callers that want zones, not areas), any area of a zone one of them
    /// belongs to.
    struct SettledAreas {
        var items = SIMD16<UInt32>()
        var count = 0
        let byZone: Bool
        /// When set, only the areas of these zones (a short list) are wanted; `onlyMask` has
        /// bit z % 64 of each, so most refusals take one test.
        let only: UnsafeBufferPointer<UInt32>?
        let onlyMask: UInt64

        init(byZone: Bool, only: UnsafeBufferPointer<UInt32>? = nil) {
            self.byZone = byZone
            self.only = only
            var mask: UInt64 = 0
            for z in only ?? UnsafeBufferPointer(start: nil, count: 0) { mask |= 1 << (z & 63) }
            onlyMask = mask
        }

        /// Whether the edges of `area` need no test: not among `only`, or settled.
        @inline(__always)
        mutating func refuses(_ area: UInt32) -> Bool {
            if let only {
                let zone = area >> 1
                if onlyMask & 1 << (zone & 63) == 0 || !only.contains(zone) { return true }
            }
            return contains(area)
        }

        @inline(__always)
        mutating func add(_ area: UInt32) {
            guard count < 16 else { return }
            items[count] = area
            count += 1
        }

        /// (Mutating only so that it reads the list in place: a non-mutating call copied all
        /// 64 bytes of it at every leaf entry.)
        @inline(__always)
        mutating func contains(_ area: UInt32) -> Bool {
            guard count > 0 else { return false }
            return withUnsafeBytes(of: &items) { raw in
                let items = raw.bindMemory(to: UInt32.self)
                if byZone {
                    for k in 0..<count where items[k] >> 1 == area >> 1 { return true }
                } else {
                    for k in 0..<count where items[k] == area || (items[k] & 1 == 0 && items[k] >> 1 == area >> 1) { return true }
                }
                return false
            }
        }
    }

    /// Calls `body(area, ax, ay, bx, by)` for the edges of the leaf blob at word `w`, with
    /// their exact vertices. When `body` returns true for an area, the area is added to
    /// `settled` and its other edges are skipped. Edges wholly outside `box` and areas
    /// `settled` refuses (settled, or not among its `only` zones) are skipped.
    @inline(__always)
    static func forEachEdge(
        ofLeaf w: Int, blob: UnsafeBufferPointer<UInt64>, vertices: UnsafeBufferPointer<Double>,
        box: (Double, Double, Double, Double), settled: inout SettledAreas,
        _ body: (UInt32, Double, Double, Double, Double) -> Bool
    ) {
        let layout = LeafLayout(blob, w)
        let partial = layout.partialCount
        var cursor = layout.entries + partial
        for p in 0..<partial {
            let entry = blob[layout.entries + p]
            let area = UInt32(truncatingIfNeeded: entry)
            var wanted = !settled.refuses(area)
            for _ in 0..<Int((entry >> 32) & chainCountMask) {
                let header = blob[cursor]
                let count = Int(header >> 32)
                cursor += 1 + count
                guard wanted else { continue }
                var v = 2 * Int(header & 0xFFFF_FFFF)
                for _ in 1..<count {
                    let ax = vertices[v], ay = vertices[v + 1], bx = vertices[v + 2], by = vertices[v + 3]
                    v += 2
                    if Predicates.outsideBox(ax, ay, bx, by, box.0, box.2, box.1, box.3) { continue }
                    if body(area, ax, ay, bx, by) {
                        settled.add(area)
                        wanted = false
                        break
                    }
                }
            }
        }
    }

    /// Calls `body(area, ax, ay, bx, by)` for the edges stored in a leaf whose cell meets `box`
    /// (min lon, min lat, max lon, max lat), as `forEachEdge(ofLeaf:…)` does in each: an area
    /// `body` accepts is settled for the leaves that follow. Edges may repeat (an edge lives
    /// in every leaf it touches).
    ///
    /// With `below`, an internal node whose cell holds the box (with 1e-9° to spare), only that
    /// node's subtree is walked: every leaf whose cell meets the box is in it.
    func forEachEdge(
        in box: (Double, Double, Double, Double), below start: UInt32 = 0, settled: inout SettledAreas,
        _ body: (UInt32, Double, Double, Double, Double) -> Bool
    ) {
        guard box.2 >= minX, box.0 <= maxX, box.3 >= minY, box.1 <= maxY, columns > 0 else { return }
        let grid = rootGrid
        let i0 = max(0, min(columns - 1, Int((box.0 - minX) * inverseCellWidth)))
        let i1 = max(0, min(columns - 1, Int((box.2 - minX) * inverseCellWidth)))
        let j0 = max(0, min(rows - 1, Int((box.1 - minY) * inverseCellHeight)))
        let j1 = max(0, min(rows - 1, Int((box.3 - minY) * inverseCellHeight)))
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer
        let vertices = self.vertices.buffer
        // Visits the subtree of a node whose cell meets the box (cells are closed and rounding
        // may misplace a point by an ulp, so they are grown by 1e-9°). A child's cell shares
        // two of its sides with the parent's, which meets the box, so only the two sides at the
        // parent's centre decide which children meet it too; a single such child is followed
        // in the loop, not by a call.
        func visit(_ start: UInt32) {
            var node = start
            while node != 0 {
                if node & Self.leafBit != 0 {
                    Self.forEachEdge(
                        ofLeaf: Int(node & ~Self.leafBit), blob: blob, vertices: vertices, box: box, settled: &settled, body)
                    return
                }
                let n = internals[Int(node)]
                let west = box.0 <= n.cx + 1e-9, east = box.2 >= n.cx - 1e-9
                let south = box.1 <= n.cy + 1e-9, north = box.3 >= n.cy - 1e-9
                var next: UInt32 = 0
                if west && south { next = n.children.0 }
                if east && south && n.children.1 != 0 {
                    if next != 0 { visit(next) }
                    next = n.children.1
                }
                if west && north && n.children.2 != 0 {
                    if next != 0 { visit(next) }
                    next = n.children.2
                }
                if east && north && n.children.3 != 0 {
                    if next != 0 { visit(next) }
                    next = n.children.3
                }
                node = next
            }
        }
        if start != 0 { return visit(start) }
        for j in j0...j1 {
            for i in i0...i1 {
                let (x0, y0, x1, y1) = grid.rect(i, j)
                guard box.2 >= x0 - 1e-9, box.0 <= x1 + 1e-9, box.3 >= y0 - 1e-9, box.1 <= y1 + 1e-9 else { continue }
                visit(root[j * columns + i])
            }
        }
    }

    /// One hit per zone from touched areas: core when its core is among them, else approach.
    static func emitZones(_ areas: [UInt32], into hits: inout [ZoneHit]) {
        var sorted = areas
        sorted.sort()
        var last = UInt32.max
        for a in sorted {
            let zone = a >> 1
            if zone == last { continue }  // the core (even) sorts before the approach (odd)
            last = zone
            hits.append(ZoneHit(zone: zone, kind: a & 1 == 0 ? .core : .approach))
        }
    }
}

extension Predicates {
    /// Whether closed segments ab and cd share a point (exact).
    @inlinable
    static func segmentsIntersect(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double,
                                  _ cx: Double, _ cy: Double, _ dx: Double, _ dy: Double) -> Bool {
        if outsideBox(ax, ay, bx, by, min(cx, dx), max(cx, dx), min(cy, dy), max(cy, dy)) { return false }
        let o1 = orientation(ax, ay, bx, by, cx, cy), o2 = orientation(ax, ay, bx, by, dx, dy)
        let o3 = orientation(cx, cy, dx, dy, ax, ay), o4 = orientation(cx, cy, dx, dy, bx, by)
        if o1 * o2 < 0 && o3 * o4 < 0 { return true }
        if o1 == 0 && onSegment(cx, cy, ax, ay, bx, by) { return true }
        if o2 == 0 && onSegment(dx, dy, ax, ay, bx, by) { return true }
        if o3 == 0 && onSegment(ax, ay, cx, cy, dx, dy) { return true }
        if o4 == 0 && onSegment(bx, by, cx, cy, dx, dy) { return true }
        return false
    }
}
