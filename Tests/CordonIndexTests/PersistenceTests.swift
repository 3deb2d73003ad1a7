import CordonCore
@testable import CordonIndex
import Testing

/// A persisted index (`ZoneIndex.persist`) read back (`ZoneIndex.restore`) is the same index;
/// anything else is refused, so a damaged or stale cache file is rebuilt, never used.
@Suite struct PersistenceTests {
    /// The areas of `ZoneIndexTests.areas` as a zone set (approach areas where there are some).
    static func set(count: Int) -> ZoneSet {
        let areas = ZoneIndexTests.areas(count: count)
        var entries: [ZoneSet.Entry] = []
        for (area, geometry) in areas where area & 1 == 0 {
            let zone = Zone(id: "z\(area >> 1)", name: "z", category: .military, geometry: geometry)
            let approach = areas.first { $0.area == area | 1 }?.geometry ?? geometry
            entries.append(ZoneSet.Entry(zone: zone, approach: approach))
        }
        return ZoneSet(name: "t", version: 3, entries: entries)
    }

    static func persisted(_ index: ZoneIndex, _ fingerprint: ZoneIndex.Fingerprint) -> [UInt8] {
        var bytes: [UInt8] = []
        index.persist(fingerprint: fingerprint) { bytes += $0 }
        return bytes
    }

    static func restore(_ bytes: [UInt8], for set: ZoneSet, _ fingerprint: ZoneIndex.Fingerprint) -> ZoneIndex? {
        var at = 0
        return ZoneIndex.restore(for: set, fingerprint: fingerprint, byteCount: bytes.count) { buffer in
            guard at + buffer.count <= bytes.count else { return false }
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[at..<at + buffer.count])) }
            at += buffer.count
            return true
        }
    }

    /// The same index up to where the leaf table's parts sit: the same grid, statistics, ids and
    /// size, and the same persisted bytes (which are written compact, whatever the windows).
    static func sameIndex(_ a: ZoneIndex, _ b: ZoneIndex, _ fingerprint: ZoneIndex.Fingerprint) -> Bool {
        guard a.vertices.buffer.elementsEqual(b.vertices.buffer), a.root.count == b.root.count,
            a.internals.count == b.internals.count,
            (a.minX, a.minY, a.maxX, a.maxY, a.columns, a.rows) == (b.minX, b.minY, b.maxX, b.maxY, b.columns, b.rows),
            a.statistics == b.statistics, a.zoneIDs == b.zoneIDs, a.memoryBytes == b.memoryBytes
        else { return false }
        return persisted(a, fingerprint) == persisted(b, fingerprint)
    }

    @Test(arguments: [1.0, 0.0])  // leaf-table windows, and the compact table of a build whose parts spill
    func aPersistedIndexIsReadBackTheSame(windowScale: Double) throws {
        let set = Self.set(count: 400)
        var builder = ZoneIndex.Builder()
        builder.blobWindowScale = windowScale
        let index = builder.build(set)
        let fingerprint = ZoneIndex.fingerprint(of: set, builder: builder)
        let bytes = Self.persisted(index, fingerprint)
        let restored = try #require(Self.restore(bytes, for: set, fingerprint))
        #expect(Self.sameIndex(index, restored, fingerprint))
        #expect(restored.setName == "t" && restored.version == 3)
        // Used in place: the tables are views of the bytes given, which the index keeps alive.
        let inPlace = try #require(
            bytes.withUnsafeBytes { raw -> ZoneIndex? in
                let copy = FrozenBuffer<UInt64>(count: raw.count / 8) { UnsafeMutableRawBufferPointer($0).copyMemory(from: raw) }
                return ZoneIndex.restore(for: set, fingerprint: fingerprint, bytes: UnsafeRawBufferPointer(copy.buffer), owner: copy)
            })
        #expect(Self.sameIndex(index, inPlace, fingerprint))
        // The same answers, point by point, and the same disk and segment answers.
        for (k, p) in ZoneIndexTests.points(count: 5_000, seed: 11).enumerated() {
            #expect(index.locate(p).sorted() == restored.locate(p).sorted())
            #expect(index.locate(p).sorted() == inPlace.locate(p).sorted())
            guard k % 5 == 0 else { continue }
            var a: [UInt32] = [], b: [UInt32] = []
            index.collectZones(touchingDisk: p, radiusMeters: 300, into: &a)
            inPlace.collectZones(touchingDisk: p, radiusMeters: 300, into: &b)
            #expect(a.sorted() == b.sorted())
            let q = Coordinate(longitude: p.longitude - 0.02, latitude: p.latitude + 0.01)
            a = []
            b = []
            index.collectZones(touchingSegment: p, q, into: &a)
            inPlace.collectZones(touchingSegment: p, q, into: &b)
            #expect(a.sorted() == b.sorted())
        }
        // An empty set round-trips too.
        let empty = ZoneSet(name: "e", version: 1, entries: [])
        let none = ZoneIndex.Builder().build(empty)
        let e = ZoneIndex.fingerprint(of: empty)
        #expect(Self.restore(Self.persisted(none, e), for: empty, e).map { Self.sameIndex(none, $0, e) } == true)
    }

    /// The hash's words go to lanes by their position in everything added, so a file hashed
    /// in the pieces it was written in checks against one pass over it.
    @Test func wordHashDoesNotDependOnHowWordsAreSplit() {
        var r: UInt64 = 5
        let words = (0..<203).map { _ -> UInt64 in
            r = r &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return r
        }
        var whole = WordHash(seed: 7)
        words.withUnsafeBufferPointer { whole.add($0) }
        for cuts in [[1], [3, 4], [2, 5, 9, 100], [0, 0, 64, 130, 131, 202]] {
            var pieces = WordHash(seed: 7)
            var from = 0
            words.withUnsafeBufferPointer { all in
                for to in cuts + [words.count] {
                    pieces.add(UnsafeBufferPointer(rebasing: all[from..<to]))
                    from = to
                }
            }
            #expect(pieces.value == whole.value, "cut at \(cuts)")
        }
        // One word at a time, too; and a changed word or order changes it.
        var single = WordHash(seed: 7)
        for w in words { single.add(w) }
        #expect(single.value == whole.value)
        var swapped = words
        swapped.swapAt(10, 11)
        var other = WordHash(seed: 7)
        swapped.withUnsafeBufferPointer { other.add($0) }
        #expect(other.value != whole.value)
    }

    @Test func damagedTruncatedOrStaleBytesAreRefused() throws {
        let set = Self.set(count: 120)
        let index = ZoneIndex.Builder().build(set)
        let fingerprint = ZoneIndex.fingerprint(of: set)
        let bytes = Self.persisted(index, fingerprint)
        #expect(Self.restore(bytes, for: set, fingerprint) != nil)
        // One bit flipped anywhere: the header, every table, the hash itself.
        var r: UInt64 = 3
        var positions = [0, 8, 24, 48, 100, 160, bytes.count / 3, bytes.count / 2, bytes.count - 20, bytes.count - 1]
        for _ in 0..<40 {
            r = r &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            positions.append(Int(r >> 33) % bytes.count)
        }
        for at in positions {
            var damaged = bytes
            damaged[at] ^= 0x10
            #expect(Self.restore(damaged, for: set, fingerprint) == nil, "bit flipped at byte \(at) of \(bytes.count)")
        }
        for length in [0, 8, 159, bytes.count / 2, bytes.count - 16, bytes.count - 1] {
            #expect(Self.restore(Array(bytes[0..<length]), for: set, fingerprint) == nil, "cut to \(length) bytes")
        }
        // A set that differs in one coordinate's last bit, or in one id, has another fingerprint.
        var moved = set
        var ring = moved.entries[7].zone.geometry.polygons[0].exterior.coordinates
        ring[2].longitude = ring[2].longitude.nextUp
        moved.entries[7].zone.geometry.polygons[0].exterior.coordinates = ring
        var renamed = set
        renamed.entries[0].zone.id = "z0'"
        var tuned = ZoneIndex.Builder()
        tuned.maximumLeafEdges = 21
        for other in [ZoneIndex.fingerprint(of: moved), ZoneIndex.fingerprint(of: renamed), ZoneIndex.fingerprint(of: set, builder: tuned)] {
            #expect(other != fingerprint)
            #expect(Self.restore(bytes, for: set, other) == nil)
        }
        // The name and version are not part of it: an unchanged set imported again finds its index.
        var again = set
        again.version = 9
        #expect(ZoneIndex.fingerprint(of: again) == fingerprint)
    }
}
