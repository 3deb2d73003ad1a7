import Cordon
import CordonTestSupport
import Foundation
import Testing

/// The index cache beside a database: built once, then read; a damaged file is rebuilt, a
/// changed set finds no stale index, and old files are pruned.
@Suite struct ZoneIndexCacheTests {
    static func set(_ name: String, shift: Double = 0) throws -> ZoneSet {
        var entries: [ZoneSet.Entry] = []
        for k in 0..<30 {
            let x = 116 + Double(k) * 0.01 + shift, y = 39.9
            let wkt = "POLYGON ((\(x) \(y), \(x + 0.008) \(y), \(x + 0.008) \(y + 0.008), \(x) \(y + 0.008), \(x) \(y)))"
            let zone = try #require(Fixtures.zone("z\(k)", wkt))
            entries.append(ZoneSet.Entry(zone: zone, approach: zone.geometry))
        }
        return ZoneSet(name: name, version: 1, entries: entries)
    }

    static func answers(_ index: ZoneIndex) -> [[ZoneHit]] {
        (0..<400).map { k in index.locate(Coordinate(longitude: 115.99 + Double(k) * 0.00081, latitude: 39.904)).sorted() }
    }

    @Test func buildsOnceThenReadsAndRebuildsWhatIsDamaged() throws {
        let dir = Fixtures.temporaryDirectory("index-cache")
        let cache = ZoneIndexCache(database: dir.appendingPathComponent("z.db").path)
        let set = try Self.set("a")
        let (built, cachedFirst) = cache.index(for: set)
        #expect(!cachedFirst)
        let (read, cachedSecond) = cache.index(for: set)
        #expect(cachedSecond)
        #expect(Self.answers(read) == Self.answers(built))
        #expect(Self.answers(built).contains { !$0.isEmpty })
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory)
        #expect(files == [ZoneIndex.fingerprint(of: set).description + ".cdx"], "\(files)")

        // Damaged: one byte changed in the middle of the file; the index is built again and the
        // file replaced, so the next load reads it.
        let file = cache.directory + "/" + files[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let (rebuilt, cachedDamaged) = cache.index(for: set)
        #expect(!cachedDamaged)
        #expect(Self.answers(rebuilt) == Self.answers(built))
        #expect(cache.index(for: set).cached)

        // Another set: its own file, never the first one's index.
        let moved = try Self.set("a", shift: 0.004)
        let (other, cachedOther) = cache.index(for: moved)
        #expect(!cachedOther)
        #expect(Self.answers(other) != Self.answers(built))
    }

    @Test func keepsTheMostRecentlyUsedFiles() throws {
        let dir = Fixtures.temporaryDirectory("index-cache")
        var cache = ZoneIndexCache(directory: dir.appendingPathComponent("c").path)
        cache.keep = 2
        let sets = try (0..<4).map { try Self.set("s", shift: Double($0) * 0.1) }
        _ = cache.index(for: sets[0])
        _ = cache.index(for: sets[1])
        // Set 0's file is the older one, until it is read again: reading marks it used.
        func file(_ k: Int) -> String { cache.directory + "/" + ZoneIndex.fingerprint(of: sets[k]).description + ".cdx" }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_600_000_000)], ofItemAtPath: file(0))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: file(1))
        #expect(cache.index(for: sets[0]).cached)
        _ = cache.index(for: sets[2])
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: cache.directory))
        #expect(names == Set([sets[0], sets[2]].map { ZoneIndex.fingerprint(of: $0).description + ".cdx" }))
    }

    /// A read index uses the mapped file in place: it keeps answering after its file is
    /// pruned (unlinked) and after a new file is renamed over the same name, as an index in use
    /// does while a server activates another version.
    @Test func aMappedIndexOutlivesItsFile() throws {
        let dir = Fixtures.temporaryDirectory("index-cache")
        var cache = ZoneIndexCache(directory: dir.appendingPathComponent("m").path)
        cache.keep = 1
        let a = try Self.set("a"), b = try Self.set("b", shift: 0.004)
        let built = cache.index(for: a).index
        let (mapped, cached) = cache.index(for: a)
        #expect(cached)
        let expected = Self.answers(built)
        #expect(Self.answers(mapped) == expected)
        let fileA = cache.directory + "/" + ZoneIndex.fingerprint(of: a).description + ".cdx"
        // Another set's index prunes the first file (one is kept).
        _ = cache.index(for: b)
        #expect(!FileManager.default.fileExists(atPath: fileA))
        #expect(Self.answers(mapped) == expected)
        // The first set's index stored again: a new file renamed over the old name.
        #expect(!cache.index(for: a).cached)
        #expect(cache.index(for: a).cached)
        #expect(Self.answers(mapped) == expected)
        #expect(Self.answers(cache.index(for: a).index) == expected)
    }
}
