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
        forEachArea(touchingSegment: a, b) { areas.append($0) }
        Self.emitZones(areas, into: &hits)
    }

    /// Appends the number of every zone whose core or approach polygon the segment a→b
    /// touches, as `zones(touchingSegment:_:into:)` decides it; unsorted, a zone may repeat.
    /// Allocates only when `zones` must grow, so a caller that keeps the array allocates
    /// nothing in the steady state.
    public func collectZones(touchingSegment a: Coordinate, _ b: Coordinate, into zones: inout [UInt32]) {
        forEachArea(touchingSegment: a, b) { zones.append($0 >> 1) }
    }

    func forEachArea(touchingSegment a: Coordinate, _ b: Coordinate, _ body: (UInt32) -> Void) {
        guard a.isValid, b.isValid else { return }
        forEachAreaContaining(a, body)
        let box = (min(a.longitude, b.longitude), min(a.latitude, b.latitude), max(a.longitude, b.longitude), max(a.latitude, b.latitude))
        forEachEdge(in: box) { area, ax, ay, bx, by in
            if Predicates.segmentsIntersect(a.longitude, a.latitude, b.longitude, b.latitude, ax, ay, bx, by) {
                body(area)
            }
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
        forEachArea(touchingDisk: center, radiusMeters: r) { areas.append($0) }
        Self.emitZones(areas, into: &hits)
    }

    /// Appends the number of every zone whose core or approach polygon comes within
    /// `radiusMeters` of `center`, as `zones(touchingDisk:radiusMeters:into:)` decides it;
    /// unsorted, a zone may repeat. Allocates only when `zones` must grow.
    public func collectZones(touchingDisk center: Coordinate, radiusMeters r: Double, into zones: inout [UInt32]) {
        forEachArea(touchingDisk: center, radiusMeters: r) { zones.append($0 >> 1) }
    }

    func forEachArea(touchingDisk center: Coordinate, radiusMeters r: Double, _ body: (UInt32) -> Void) {
        guard center.isValid, r.isFinite, r >= 0 else { return }
        forEachAreaContaining(center, body)
        guard r > 0 else { return }
        // A box in degrees that surely holds the disk (1 % and 1e-9° of slack).
        let dLat = r * 1.01 / (WGS84.authalicRadius * .pi / 180) + 1e-9
        let cosLat = cos(min(89.999, abs(center.latitude) + dLat) * .pi / 180)
        let dLon = min(360, dLat / max(cosLat, 1e-9))
        let box = (center.longitude - dLon, center.latitude - dLat, center.longitude + dLon, center.latitude + dLat)
        let plane = LocalProjection(center: center, radius: WGS84.authalicRadius)
        let r2 = r * r
        forEachEdge(in: box) { area, ax, ay, bx, by in
            let p = plane.forward(Coordinate(longitude: ax, latitude: ay))
            let q = plane.forward(Coordinate(longitude: bx, latitude: by))
            let dx = q.x - p.x, dy = q.y - p.y
            let len2 = dx * dx + dy * dy
            let t = len2 == 0 ? 0 : max(0, min(1, -(p.x * dx + p.y * dy) / len2))
            let x = p.x + t * dx, y = p.y + t * dy
            if x * x + y * y <= r2 { body(area) }
        }
    }

    /// Appends the number of every zone whose core or approach polygon contains `c` (closed);
    /// unsorted, a zone may repeat. Allocates only when `zones` must grow.
    public func collectZones(containing c: Coordinate, into zones: inout [UInt32]) {
        forEachAreaContaining(c) { zones.append($0 >> 1) }
    }

    // MARK: - Helpers

    /// Calls `body` with every area containing `c` (core and approach alike, before
    /// arbitration: an approach area the builder folded away lies under a core that contains
    /// `c` anyway).
    func forEachAreaContaining(_ c: Coordinate, _ body: (UInt32) -> Void) {
        let x = c.longitude, y = c.latitude
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return }
        let node = Self.descend(x, y, index: self, root: root.buffer, internals: internals.buffer)
        guard node != 0 else { return }
        Self.scan(x, y, leaf: Int(node & ~Self.leafBit), blob: blob.buffer) { hit in
            body(hit.zone << 1 | UInt32(hit.kind.rawValue))
        }
    }

    /// Calls `body(area, ax, ay, bx, by)` for every edge stored in a leaf whose cell meets `box`
    /// (min lon, min lat, max lon, max lat). Edges may repeat (an edge lives in every leaf it
    /// touches).
    func forEachEdge(in box: (Double, Double, Double, Double), _ body: (UInt32, Double, Double, Double, Double) -> Void) {
        guard box.2 >= minX, box.0 <= maxX, box.3 >= minY, box.1 <= maxY, columns > 0 else { return }
        let cw = (maxX - minX) / Double(columns), ch = (maxY - minY) / Double(rows)
        let i0 = max(0, min(columns - 1, Int((box.0 - minX) * inverseCellWidth)))
        let i1 = max(0, min(columns - 1, Int((box.2 - minX) * inverseCellWidth)))
        let j0 = max(0, min(rows - 1, Int((box.1 - minY) * inverseCellHeight)))
        let j1 = max(0, min(rows - 1, Int((box.3 - minY) * inverseCellHeight)))
        let root = self.root.buffer, internals = self.internals.buffer, blob = self.blob.buffer
        func visit(_ node: UInt32, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
            // Cells are closed and rounding may misplace a point by an ulp: grow them by 1e-9°.
            guard node != 0, box.2 >= x0 - 1e-9, box.0 <= x1 + 1e-9, box.3 >= y0 - 1e-9, box.1 <= y1 + 1e-9 else { return }
            if node & Self.leafBit != 0 {
                let w = Int(node & ~Self.leafBit)
                let layout = LeafLayout(blob, w)
                let partial = layout.partialCount
                var edge = layout.reference + 2 + partial
                for p in 0..<partial {
                    let entry = blob[layout.reference + 2 + p]
                    let area = UInt32(truncatingIfNeeded: entry)
                    let end = edge + 4 * Int((entry >> 32) & 0x7FFF_FFFF)
                    while edge < end {
                        body(area, Double(bitPattern: blob[edge]), Double(bitPattern: blob[edge + 1]),
                             Double(bitPattern: blob[edge + 2]), Double(bitPattern: blob[edge + 3]))
                        edge += 4
                    }
                }
                return
            }
            let n = internals[Int(node)]
            visit(n.children.0, x0, y0, n.cx, n.cy)
            visit(n.children.1, n.cx, y0, x1, n.cy)
            visit(n.children.2, x0, n.cy, n.cx, y1)
            visit(n.children.3, n.cx, n.cy, x1, y1)
        }
        for j in j0...j1 {
            for i in i0...i1 {
                visit(root[j * columns + i], minX + Double(i) * cw, minY + Double(j) * ch,
                      i == columns - 1 ? maxX : minX + Double(i + 1) * cw, j == rows - 1 ? maxY : minY + Double(j + 1) * ch)
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
