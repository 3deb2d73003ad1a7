import CordonCore
import CordonStore
import CordonTestSupport
import Foundation
import Testing

@Suite struct ZoneStoreTests {
    static func entries(_ ids: [String]) throws -> [ZoneSet.Entry] {
        try ids.enumerated().map { k, id in
            let x = 116 + Double(k % 500) * 0.1, y = 39 + Double(k / 500) * 0.1  // rows of 500
            let zone = try #require(Fixtures.zone(id, "POLYGON ((\(x) \(y), \(x + 0.01) \(y), \(x + 0.01) \(y + 0.01), \(x) \(y)))"))
            let approach = try #require(
                Fixtures.geometry(
                    "POLYGON ((\(x - 0.01) \(y - 0.01), \(x + 0.02) \(y - 0.01), \(x + 0.02) \(y + 0.02), \(x - 0.01) \(y + 0.02), \(x - 0.01) \(y - 0.01)))"))
            return ZoneSet.Entry(zone: zone, approach: approach)
        }
    }

    func store() throws -> ZoneStore {
        try ZoneStore(path: Fixtures.temporaryDirectory().appendingPathComponent("t.db").path)
    }

    @Test func versionsActivationAndRollbackStack() throws {
        let store = try store()
        let v1 = try store.createVersion(setName: "s", entries: Self.entries(["a"]), source: "a.geojson", checksum: "sha256:1", actor: "ann", activate: true)
        let v2 = try store.createVersion(setName: "s", entries: Self.entries(["a", "b"]), source: "b.geojson", checksum: "sha256:2", actor: "ann", activate: false)
        let v3 = try store.createVersion(setName: "s", entries: Self.entries(["c"]), source: "c.geojson", checksum: "sha256:3", actor: "bob", activate: false)
        #expect([v1.version, v2.version, v3.version] == [Int](1...3))
        #expect(v1.isActive && !v2.isActive)
        #expect(try store.activeVersion(setName: "s") == 1)
        try store.activate(setName: "s", version: 2, actor: "ann")
        try store.activate(setName: "s", version: 3, actor: "ann")
        #expect(try store.zoneSet(setName: "s").zones.map(\.id) == ["c"])
        #expect(try store.rollback(setName: "s", actor: "ann").version == 2)
        #expect(try store.rollback(setName: "s", actor: "ann").version == 1)
        #expect(throws: StoreError.self) { try store.rollback(setName: "s", actor: "ann") }
        #expect(throws: StoreError.self) { try store.activate(setName: "s", version: 1, actor: "ann") }  // already active
        #expect(throws: StoreError.self) { try store.activate(setName: "s", version: 9, actor: "ann") }
        #expect(throws: StoreError.self) { try store.zoneSet(setName: "nope") }
        let actions = try store.auditLog().reversed().map { "\($0.action) \($0.version ?? 0) \($0.actor)" }
        #expect(actions == ["import 1 ann", "activate 1 ann", "import 2 ann", "import 3 bob", "activate 2 ann", "activate 3 ann", "rollback 2 ann", "rollback 1 ann"])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func storedZonesComeBackIdentical() throws {
        let store = try store()
        var entries = try Self.entries(["x", "y"])
        entries[0].zone.schedule = Schedule(timeZone: "Asia/Shanghai", windows: [Schedule.Window(days: [.monday, .friday], startMinute: 480, endMinute: 1080)])
        entries[0].zone.validFrom = Timestamp(iso8601: "2026-01-01T00:00:00Z")
        entries[0].zone.policy = Policy(cameras: [.cabin], data: .coarsen(meters: 250))
        entries[1].zone.metadata = [JSONMember("operator", .string("PLA")), JSONMember("level", .number(3))]
        try store.createVersion(setName: "s", entries: entries, source: "x", checksum: "sha256:x", actor: "t", activate: true)
        let loaded = try store.zoneSet(setName: "s")
        #expect(loaded.entries == entries)
        #expect(try store.entry(setName: "s", id: "y") == entries[1])
        #expect(try store.entry(setName: "s", id: "zz") == nil)
    }

    /// A set of several decoding batches (`ZoneStore.BatchDecoding`: rows decoded on other
    /// threads while the next are fetched) comes back whole and in order.
    @Test func aLargeSetComesBackWholeAndInOrder() throws {
        let store = try store()
        let ids = (0..<1_000).map { "z\(1_000 - $0)" }  // not in id order: the stored order counts
        let entries = try Self.entries(ids)
        try store.createVersion(setName: "s", entries: entries, source: "x", checksum: "sha256:x", actor: "t", activate: true)
        let loaded = try store.zoneSet(setName: "s")
        #expect(loaded.entries.count == entries.count && loaded.entries == entries)
    }

    @Test func versionsAreImmutableAndTheAuditLogAppendOnly() throws {
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("t.db").path
        let store = try ZoneStore(path: path)
        try store.createVersion(setName: "s", entries: Self.entries(["a"]), source: "a", checksum: "sha256:a", actor: "t", activate: true)
        // Go around the store with the sqlite3 shell when present; otherwise trust the triggers' presence.
        for sql in ["UPDATE zone SET name = 'x'", "DELETE FROM zone", "UPDATE zone_set_version SET checksum = 'x'", "DELETE FROM audit_log"] {
            let out = try runSQLite(path, sql)
            #expect(out.contains("immutable") || out.contains("append-only"), "\(sql): \(out)")
        }
        #expect(try store.zoneSet(setName: "s").zones.map(\.name) == ["a"])
    }

    /// Runs SQL through Python's sqlite3 module (always present here) and returns its error text.
    func runSQLite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3,sys\ntry:\n c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit(); print('ok')\nexcept Exception as e: print(e)", path, sql]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
