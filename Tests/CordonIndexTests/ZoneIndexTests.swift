#if canImport(Glibc)
import Glibc
#endif
import CordonCore
@testable import CordonIndex
import CordonTestSupport
import Testing

@Suite struct ZoneIndexTests {
    /// Overlapping squares and stars, with an approach area for every other zone.
    static func areas(count: Int) -> [(area: UInt32, geometry: MultiPolygon)] {
        var state: UInt64 = 99
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var out: [(area: UInt32, geometry: MultiPolygon)] = []
        for z in 0..<count {
            let cx = 116 + next() * 0.5, cy = 39.5 + next() * 0.5, r = 0.002 + next() * 0.05
            var ring: [Coordinate] = []
            let n = 4 + Int(next() * 30)
            for k in 0..<n {
                let a = Double(k) / Double(n) * 2 * .pi, rr = r * (0.3 + 0.7 * next())
                ring.append(Coordinate(longitude: cx + rr * cos(a), latitude: cy + rr * sin(a)))
            }
            ring.append(ring[0])
            out.append((UInt32(z) << 1, MultiPolygon([Polygon(exterior: Ring(ring))])))
            if z % 2 == 0 {
                let big = ring.map { Coordinate(longitude: cx + ($0.longitude - cx) * 1.5, latitude: cy + ($0.latitude - cy) * 1.5) }
                out.append((UInt32(z) << 1 | 1, MultiPolygon([Polygon(exterior: Ring(big))])))
            }
        }
        return out
    }

    /// `count` points spread over the region of `areas(count:)` and a little around it, the same
    /// ones for the same `seed`.
    static func points(count: Int, seed: UInt64) -> [Coordinate] {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<count).map { _ in
            let u = next(), v = next()
            return Coordinate(longitude: 115.9 + u * 0.7, latitude: 39.4 + v * 0.7)
        }
    }

    @Test func batchEqualsSingleIncludingOverflowingPoints() {
        let areas = Self.areas(count: 300)
        let index = ZoneIndex.Builder().build(zoneIDs: (0..<300).map(String.init), areas: areas)
        var points = Self.points(count: 20_000, seed: 7)
        points.append(Coordinate(longitude: 10, latitude: 10))  // outside everything
        points.insert(Coordinate(longitude: .nan, latitude: 39.5), at: 5_000)
        let stride = 3  // small on purpose: some points have more hits than slots
        // The batch is large enough to be visited in root-cell order, each point's root cell
        // taken from the sort (the path under test).
        var order = [UInt32](repeating: 0, count: points.count), cells = order
        let sorted = points.withUnsafeBufferPointer { p in
            order.withUnsafeMutableBufferPointer { o in cells.withUnsafeMutableBufferPointer { index.sortByRootCell(p, into: o, cells: $0) } }
        }
        #expect(sorted && Set(order).count == points.count)
        // Both paths: sorted and in lockstep groups (an index larger than the cache), and point
        // by point in order (a small one, as this index is).
        #expect(index.hotBytes <= ZoneIndex.cachedBatchBytes)
        for limit in [0, ZoneIndex.cachedBatchBytes] {
            var counts = [UInt32](repeating: 0, count: points.count)
            var hits = [ZoneHit](repeating: ZoneHit(zone: 0, kind: .core), count: points.count * stride)
            points.withUnsafeBufferPointer { p in
                counts.withUnsafeMutableBufferPointer { c in
                    hits.withUnsafeMutableBufferPointer { h in index.locate(batch: p, stride: stride, counts: c, hits: h, inOrderUpTo: limit) }
                }
            }
            var overflowing = 0, withHits = 0
            for (i, p) in points.enumerated() {
                let single = index.locate(p).sorted()
                #expect(Int(counts[i]) == single.count, "point \(i), limit \(limit)")
                if single.count > stride { overflowing += 1; continue }
                if !single.isEmpty { withHits += 1 }
                #expect(Array(hits[(i * stride)..<(i * stride + single.count)]).sorted() == single, "point \(i), limit \(limit)")
            }
            #expect(overflowing > 0 && withHits > 1000)
        }
    }

    /// Build parts write their leaf blobs into windows of the final table; a part that outgrows
    /// its window spills and every part is copied into a compact table instead. Both give the
    /// same index: the same answers, sizes and counts.
    @Test func partsThatOutgrowTheirWindowsGiveTheSameIndex() {
        let areas = Self.areas(count: 1_500)
        let ids = (0..<1_500).map(String.init)
        let windowed = ZoneIndex.Builder().build(zoneIDs: ids, areas: areas)
        var builder = ZoneIndex.Builder()
        builder.blobWindowScale = 0
        let spilled = builder.build(zoneIDs: ids, areas: areas)
        #expect(windowed.statistics == spilled.statistics && windowed.memoryBytes == spilled.memoryBytes)
        // Several parts, so the windowed table has unused words between them; the compact one not.
        #expect(windowed.blob.count > windowed.blobWords && spilled.blob.count == spilled.blobWords)
        for p in Self.points(count: 20_000, seed: 11) {
            #expect(windowed.locate(p).sorted() == spilled.locate(p).sorted())
        }
    }

    @Test func coreHidesApproachAndBoundaryIsInside() throws {
        let core = try #require(Fixtures.geometry("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"))
        let approach = try #require(Fixtures.geometry("POLYGON ((-2 -2, 12 -2, 12 12, -2 12, -2 -2))"))
        let hole = try #require(Fixtures.geometry("POLYGON ((20 0, 30 0, 30 10, 20 10, 20 0), (22 2, 22 8, 28 8, 28 2, 22 2))"))
        let index = ZoneIndex.Builder().build(zoneIDs: ["a", "h"], areas: [(0, core), (1, approach), (2, hole)])
        #expect(index.locate(Coordinate(longitude: 5, latitude: 5)) == [ZoneHit(zone: 0, kind: .core)])
        #expect(index.locate(Coordinate(longitude: 10, latitude: 3)) == [ZoneHit(zone: 0, kind: .core)])  // on an edge
        #expect(index.locate(Coordinate(longitude: 0, latitude: 0)) == [ZoneHit(zone: 0, kind: .core)])  // on a vertex
        #expect(index.locate(Coordinate(longitude: 11, latitude: 5)) == [ZoneHit(zone: 0, kind: .approach)])
        #expect(index.locate(Coordinate(longitude: -2, latitude: 12)) == [ZoneHit(zone: 0, kind: .approach)])
        #expect(index.locate(Coordinate(longitude: 13, latitude: 5)).isEmpty)
        #expect(index.locate(Coordinate(longitude: 25, latitude: 5)).isEmpty)  // in the hole
        #expect(index.locate(Coordinate(longitude: 22, latitude: 5)) == [ZoneHit(zone: 1, kind: .core)])  // hole boundary
        #expect(index.locate(Coordinate(longitude: .nan, latitude: 5)).isEmpty)
        let empty = ZoneIndex.Builder().build(zoneIDs: [], areas: [])
        #expect(empty.locate(Coordinate(longitude: 0, latitude: 0)).isEmpty)
    }

    /// A disk is measured on the sphere, so one that reaches past ±180° touches what lies just
    /// across the antimeridian: zones on both sides of the seam (as Fiji's and Russia's parts
    /// are stored), a vehicle a few metres from it on either side. Before, the box of the
    /// disk was cut at the seam and the zone across it was never tested.
    @Test func diskReachesAcrossTheAntimeridian() throws {
        let west = try #require(Fixtures.geometry("POLYGON ((-180 0, -179.999 0, -179.999 0.001, -180 0.001, -180 0))"))
        let east = try #require(Fixtures.geometry("POLYGON ((179.998 0, 179.999 0, 179.999 0.001, 179.998 0.001, 179.998 0))"))
        let index = ZoneIndex.Builder().build(zoneIDs: ["w", "e"], areas: [(0, west), (2, east)])
        func touched(_ lon: Double, _ r: Double) -> [UInt32] {
            var zones: [UInt32] = []
            index.collectZones(touchingDisk: Coordinate(longitude: lon, latitude: 0.0005), radiusMeters: r, into: &zones)
            return Array(Set(zones)).sorted()
        }
        // 0.0001° of longitude at the equator is 11.1 m.
        #expect(touched(179.9999, 20) == [0])  // 11 m to the west zone across the seam
        #expect(touched(179.9999, 5).isEmpty)
        #expect(touched(179.9995, 60) == [0, 1])  // 55.6 m to the west zone, 55.6 m to the east one
        // Inside the west zone, 167 m from the east one back across the seam.
        #expect(touched(-179.9995, 150) == [0])
        #expect(touched(-179.9995, 175) == [0, 1])
    }

    /// Edges whose *line* passes through the leaf's reference point (R = the centre of the one
    /// root cell, (1, 1), on the diagonal y = x and on the line x = 1) cannot be turned to have
    /// R strictly on their left; the fast path must still agree with the exact naive scan,
    /// for points off, on and next to those lines and edges.
    @Test func edgeLinesThroughTheReferencePointAgreeWithTheNaiveScan() throws {
        let notch = try #require(Fixtures.geometry("POLYGON ((0 0, 2 0, 2 2, 1.6 1.6, 0 2, 0 0))"))
        let bar = try #require(Fixtures.geometry("POLYGON ((1 1.5, 1.4 1.5, 1.4 1.9, 1 1.9, 1 1.5))"))
        let areas: [(area: UInt32, geometry: MultiPolygon)] = [(0, notch), (2, bar)]
        var builder = ZoneIndex.Builder()
        builder.rootCellsPerEdge = 0.01  // one root cell, one leaf: R is the box centre
        let index = builder.build(zoneIDs: ["notch", "bar"], areas: areas)
        let naive = NaiveLocator(areas: areas)
        var points: [Coordinate] = []
        for i in -4...44 {
            for j in -4...44 { points.append(Coordinate(longitude: Double(i) * 0.05, latitude: Double(j) * 0.05)) }
        }
        for t in Swift.stride(from: -0.5, through: 2.5, by: 0.01) {
            for d in [0, 1e-12, -1e-12] {
                points.append(Coordinate(longitude: t, latitude: t + d))  // on and beside y = x
                points.append(Coordinate(longitude: 1 + d, latitude: t))  // on and beside x = 1
            }
        }
        var inside = 0
        for p in points {
            var expected: [UInt32] = []
            naive.locate(p, into: &expected)
            let got = index.locate(p).map { $0.zone << 1 }.sorted()
            #expect(got == expected.sorted(), "\(p.longitude), \(p.latitude)")
            inside += expected.isEmpty ? 0 : 1
        }
        #expect(inside > 500 && inside < points.count - 500)
    }

    /// The near-hold query's list of zones (`amongZones:`, decided in the leaf walk) answers
    /// what the unlimited query answers for those zones, plus the zones containing the centre
    /// when they count, on disks of 20 m to 2 km, for lists of one to twelve zones (numbers up
    /// to 300, so the 64-bit mask has collisions); and the limit is live: the full query finds
    /// more.
    @Test func amongZonesLimitTheEdgeTestsToTheirZones() {
        let index = ZoneIndex.Builder().build(zoneIDs: (0..<300).map(String.init), areas: Self.areas(count: 300))
        var state: UInt64 = 5
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        var limited = 0
        for (k, p) in Self.points(count: 3_000, seed: 17).enumerated() {
            let list = (0..<(1 + Int(next() % 12))).map { _ in UInt32(next() % 300) }
            let r = [20.0, 150, 600, 2_000][k % 4]
            let containing = k % 3 != 0
            var viaList: [UInt32] = [], all: [UInt32] = [], inside: [UInt32] = []
            var cell = ZoneIndex.Cell()
            index.collectZones(touchingDisk: p, radiusMeters: r, containingCenter: containing, amongZones: list, cell: &cell, into: &viaList)
            index.collectZones(touchingDisk: p, radiusMeters: r, containingCenter: containing, into: &all)
            if containing { index.collectZones(touchingDisk: p, radiusMeters: 0, into: &inside) }
            #expect(Set(viaList) == Set(all).intersection(list).union(inside), "\(p) r \(r) among \(list)")
            if Set(all).count > Set(viaList).count { limited += 1 }
        }
        #expect(limited > 300)
    }

    /// The engine skips the near-hold query for a zone whose vertices' box misses
    /// `ZoneIndex.searchBox` (a hold it counts down, so not containing the position): every zone
    /// the disk query reports by its edges must then have a box that meets the search box. On
    /// disks of 20 m to 2 km; and the search box must be needed whole: one for 0.9 of the radius
    /// misses some reported zone's box, or the check would pass whatever the box.
    @Test func zonesReportedByTheirEdgesMeetTheSearchBox() {
        let areas = Self.areas(count: 300)
        let index = ZoneIndex.Builder().build(zoneIDs: (0..<300).map(String.init), areas: areas)
        var boxes = [BoundingBox](repeating: .empty, count: 300)
        for (area, geometry) in areas {
            for polygon in geometry.polygons {
                for ring in [polygon.exterior] + polygon.holes { boxes[Int(area >> 1)].extend(ring.coordinates) }
            }
        }
        var reported = 0, missedByASmallerBox = 0
        for (k, p) in Self.points(count: 3_000, seed: 23).enumerated() {
            let r = [20.0, 150, 600, 2_000][k % 4]
            var zones: [UInt32] = []
            index.collectZones(touchingDisk: p, radiusMeters: r, containingCenter: false, into: &zones)
            let box = ZoneIndex.searchBox(around: p, radiusMeters: r), smaller = ZoneIndex.searchBox(around: p, radiusMeters: 0.9 * r)
            for z in Set(zones) {
                reported += 1
                #expect(boxes[Int(z)].intersects(box), "zone \(z) at \(p) r \(r)")
                if !boxes[Int(z)].intersects(smaller) { missedByASmallerBox += 1 }
            }
        }
        #expect(reported > 1_000 && missedByASmallerBox > 10)
    }

    /// A box that leaves the carried cell but not its parent is walked from the parent, one
    /// that leaves the parent but not the grandparent from the grandparent: on a dense cluster
    /// (small stars, deep trees) a walk with disks of 5 to 200 m, each answer equal to the naive
    /// locator's and the disk test's over every edge. The walk must take each path often, and
    /// also leave the grandparent often, or the test would not test the choice (walking from
    /// the parent or the grandparent regardless fails it).
    @Test func boxesLeavingTheCellAreWalkedFromTheParentExactly() {
        var areas: [(area: UInt32, geometry: MultiPolygon)] = []
        var state: UInt64 = 23
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        // A dense cluster 2 km across in a set 1° wide (four zones at its corners): coarse root
        // cells, deep trees under the cluster.
        for z in 0..<800 {
            let corner = z < 4
            let cx = corner ? 115.5 + Double(z % 2) : 116.04 + next() * 0.02
            let cy = corner ? 39.5 + Double(z / 2) : 39.94 + next() * 0.02
            let r = corner ? 0.01 : 0.0002 + next() * 0.001
            let n = 6 + Int(next() * 24)
            var ring = (0..<n).map { k -> Coordinate in
                let a = Double(k) / Double(n) * 2 * .pi, rr = r * (0.3 + 0.7 * next())
                return Coordinate(longitude: cx + rr * cos(a), latitude: cy + rr * sin(a))
            }
            ring.append(ring[0])
            areas.append((UInt32(z) << 1, MultiPolygon([Polygon(exterior: Ring(ring))])))
        }
        let index = ZoneIndex.Builder().build(zoneIDs: (0..<800).map(String.init), areas: areas)
        // The oracle, with no index (a fresh query takes the same walks): the naive locator for
        // the centre, and the disk test on every edge.
        let naive = NaiveLocator(areas: areas)
        func truth(_ c: Coordinate, _ r: Double) -> Set<UInt32> {
            var inside: [UInt32] = []
            naive.locate(c, into: &inside)
            var zones = Set(inside.map { $0 >> 1 })
            let disk = DiskTest(center: c, radius: r)
            for (area, geometry) in areas where !zones.contains(area >> 1) {
                let ring = geometry.polygons[0].exterior.coordinates
                for k in 1..<ring.count
                where disk.touches(ring[k - 1].longitude, ring[k - 1].latitude, ring[k].longitude, ring[k].latitude) {
                    zones.insert(area >> 1)
                    break
                }
            }
            return zones
        }
        var cell = ZoneIndex.Cell()
        var p = Coordinate(longitude: 116.05, latitude: 39.95)
        var viaParent = 0, viaGrandparent = 0, pastBoth = 0
        for step in 0..<3_000 {
            p = Coordinate(
                longitude: min(116.06, max(116.04, p.longitude + (next() - 0.5) * 0.0004)),
                latitude: min(39.96, max(39.94, p.latitude + (next() - 0.5) * 0.0004)))
            let r = [5.0, 20, 60, 200][step % 4]
            let box = ZoneIndex.box(around: p, radiusMeters: r)
            let before = cell
            var withCell: [UInt32] = []
            index.collectZones(touchingDisk: p, radiusMeters: r, cell: &cell, into: &withCell)
            #expect(Set(withCell) == truth(p, r), "step \(step)")
            // Which walk the query took (a cell kept, the box past its leaf).
            if before.index === index && before.holds((p.longitude, p.latitude, p.longitude, p.latitude)) && !before.holds(box)
                && !before.clearHolds(box) && before.parent != 0
            {
                if ZoneIndex.Cell.inside(box, before.parentRect) {
                    viaParent += 1
                } else if before.grandparent != 0 && ZoneIndex.Cell.inside(box, before.grandparentRect) {
                    viaGrandparent += 1
                } else {
                    pastBoth += 1
                }
            }
        }
        #expect(
            viaParent > 150 && viaGrandparent > 150 && pastBoth > 150,
            "\(viaParent) walks from the parent, \(viaGrandparent) from the grandparent, \(pastBoth) past both")
    }

    /// A caller-kept cell (a vehicle's) must never change an answer: a random walk with small
    /// steps, jumps and cell borders, each disk and segment query asked with the walk's cell
    /// and with none; a cell made by another index is ignored. The walk must reuse its cell
    /// often, and answer from its clear rectangle often (inside zones too), or the test would
    /// not test them.
    @Test func queriesWithACarriedCellEqualFreshQueries() {
        let areas = Self.areas(count: 300)
        let index = ZoneIndex.Builder().build(zoneIDs: (0..<300).map(String.init), areas: areas)
        let other = ZoneIndex.Builder().build(zoneIDs: (0..<60).map(String.init), areas: Self.areas(count: 60))
        var state: UInt64 = 11
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var cell = ZoneIndex.Cell()
        var foreign = ZoneIndex.Cell()
        var p = Coordinate(longitude: 116.2, latitude: 39.7)
        var reused = 0, hits = 0, clearAnswers = 0, clearHits = 0
        for step in 0..<20_000 {
            // Mostly 1 Hz driving (up to ~40 m); now and then a jump.
            let jump = step % 500 == 0
            let dx = (next() - 0.5) * (jump ? 0.3 : 0.0008), dy = (next() - 0.5) * (jump ? 0.3 : 0.0008)
            p = Coordinate(longitude: min(116.6, max(115.9, p.longitude + dx)), latitude: min(40.1, max(39.4, p.latitude + dy)))
            let r: Double = [0, 0, 15, 60][step % 4]
            let before = (cell.index === index, cell.x0, cell.y0, cell.node)
            var withCell: [UInt32] = [], fresh: [UInt32] = [], viaForeign: [UInt32] = []
            index.collectZones(touchingDisk: p, radiusMeters: r, cell: &cell, into: &withCell)
            index.collectZones(touchingDisk: p, radiusMeters: r, into: &fresh)
            other.collectZones(touchingDisk: p, radiusMeters: 0, cell: &foreign, into: &viaForeign)
            index.collectZones(touchingDisk: p, radiusMeters: r, cell: &foreign, into: &viaForeign)  // other's cell
            let end = Coordinate(longitude: p.longitude + (next() - 0.5) * 0.002, latitude: p.latitude + (next() - 0.5) * 0.002)
            index.collectZones(touchingSegment: p, end, containingStart: false, cell: &cell, into: &withCell)
            index.collectZones(touchingSegment: p, end, containingStart: false, into: &fresh)
            #expect(Set(withCell) == Set(fresh), "step \(step)")
            // The same segment with its start's areas, answered from the cell's clear rectangle
            // when it holds the segment's box.
            let box = (min(p.longitude, end.longitude), min(p.latitude, end.latitude), max(p.longitude, end.longitude), max(p.latitude, end.latitude))
            let clear = cell.index === index && cell.clearKnown && cell.clearHolds(box)
            var segmentWithCell: [UInt32] = [], segmentFresh: [UInt32] = []
            index.collectZones(touchingSegment: p, end, cell: &cell, into: &segmentWithCell)
            index.collectZones(touchingSegment: p, end, into: &segmentFresh)
            #expect(Set(segmentWithCell) == Set(segmentFresh), "step \(step)")
            if clear {
                clearAnswers += 1
                clearHits += segmentFresh.isEmpty ? 0 : 1
            }
            var otherFresh: [UInt32] = []
            other.collectZones(touchingDisk: p, radiusMeters: 0, into: &otherFresh)
            index.collectZones(touchingDisk: p, radiusMeters: r, into: &otherFresh)
            #expect(Set(viaForeign) == Set(otherFresh), "step \(step)")
            if before.0 && before.1 == cell.x0 && before.2 == cell.y0 && before.3 == cell.node { reused += 1 }
            hits += fresh.isEmpty ? 0 : 1
        }
        #expect(reused > 5_000 && hits > 5_000)
        #expect(clearAnswers > 1_000 && clearHits > 200, "\(clearAnswers) answers from clear rectangles, \(clearHits) inside zones")
    }
}
