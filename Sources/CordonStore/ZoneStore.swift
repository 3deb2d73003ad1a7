import Dispatch
import Foundation
public import CordonCore
import CordonFormats
import GRDB

/// The SQLite zone store: zone sets, their immutable numbered versions (core and approach
/// geometry per zone), the active version per set, and the audit log.
///
/// Thread-safe (`Sendable`): it wraps a GRDB `DatabasePool` in WAL mode, which serialises
/// writers and lets readers run concurrently. Each mutation is one transaction, so a process
/// killed at any moment leaves the previous state intact. The store owns its connection pool;
/// callers own the values it returns.
public final class ZoneStore: Sendable {
    private let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw .open(path: path, message: Self.message(error))
        }
    }

    static func message(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? e.description }
        return String(describing: error)
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch let e as StoreError { throw e } catch {
            throw .database(Self.message(error))
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let e as StoreError { throw e } catch {
            throw .database(Self.message(error))
        }
    }

    public static func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    // MARK: - Writing

    /// Stores `entries` as the next version of `setName` in one transaction, audits it, and
    /// activates it when `activate` is true. `afterEachZone` is called inside the transaction
    /// with the number of zones written so far (progress and fault-injection tests).
    @discardableResult
    public func createVersion(
        setName: String, entries: [ZoneSet.Entry], source: String, checksum: String, actor: String,
        activate: Bool, afterEachZone: ((Int) -> Void)? = nil
    ) throws(StoreError) -> ZoneSetVersionInfo {
        let at = Self.now()
        let vertexCount = entries.reduce(0) { $0 + $1.zone.geometry.vertexCount }
        let approachVertexCount = entries.reduce(0) { $0 + $1.approach.vertexCount }
        let version: Int = try write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zone_set WHERE name = ?", arguments: [setName]) == nil {
                try db.execute(sql: "INSERT INTO zone_set(name, created_at) VALUES (?, ?)", arguments: [setName, at.iso8601])
            }
            let last = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM zone_set_version WHERE set_name = ?", arguments: [setName]) ?? 0
            let version = last + 1
            try db.execute(
                sql: """
                    INSERT INTO zone_set_version(set_name, version, source, checksum, zone_count, vertex_count,
                        approach_vertex_count, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [setName, version, source, checksum, entries.count, vertexCount, approachVertexCount, actor, at.iso8601])
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO zone(set_name, version, position, id, name, category, cameras, data, coarsen_m, buffer_m,
                        schedule, valid_from, valid_until, properties, core, approach)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (position, entry) in entries.enumerated() {
                let z = entry.zone
                var coarsen: Double?
                if case .coarsen(let m) = z.policy.data { coarsen = m }
                try insert.execute(arguments: [
                    setName, version, position, z.id, z.name, z.category.rawValue,
                    z.policy.cameras.names.joined(separator: ","), z.policy.data.name, coarsen, z.bufferMeters,
                    z.schedule.map { ZoneRecord.scheduleJSON($0) }, z.validFrom?.iso8601, z.validUntil?.iso8601,
                    ZoneRecord.propertiesJSON(z), Data(WKB.encode(z.geometry)), Data(WKB.encode(entry.approach)),
                ])
                afterEachZone?(position + 1)
            }
            try Self.audit(db, at: at, actor: actor, action: "import", set: setName, version: version, checksum: checksum,
                           detail: "\(entries.count) zones, \(vertexCount) vertices from \(source)")
            if activate {
                try Self.pushActivation(db, set: setName, version: version, at: at, actor: actor)
                try Self.audit(db, at: at, actor: actor, action: "activate", set: setName, version: version, checksum: checksum,
                               detail: "activated on import")
            }
            return version
        }
        guard let info = try versions(setName: setName).first(where: { $0.version == version }) else {
            throw .database("version \(version) of \(setName) vanished after commit")
        }
        return info
    }

    /// Makes `version` the active version of `setName`.
    @discardableResult
    public func activate(setName: String, version: Int, actor: String) throws(StoreError) -> ZoneSetVersionInfo {
        let at = Self.now()
        try write { db in
            guard let checksum = try String.fetchOne(
                db, sql: "SELECT checksum FROM zone_set_version WHERE set_name = ? AND version = ?", arguments: [setName, version])
            else { throw StoreError.notFound("zone set \"\(setName)\" has no version \(version)") }
            let current = try Self.activeVersion(db, set: setName)
            guard current != version else {
                throw StoreError.conflict("version \(version) of \"\(setName)\" is already active")
            }
            try Self.pushActivation(db, set: setName, version: version, at: at, actor: actor)
            try Self.audit(db, at: at, actor: actor, action: "activate", set: setName, version: version, checksum: checksum,
                           detail: "active version \(current.map(String.init) ?? "none") → \(version)")
        }
        return try info(setName: setName, version: version)
    }

    /// Re-activates the version that was active before the current activation. Repeated
    /// rollbacks walk further back. Returns the version now active.
    @discardableResult
    public func rollback(setName: String, actor: String) throws(StoreError) -> ZoneSetVersionInfo {
        let at = Self.now()
        let version: Int = try write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, version FROM activation WHERE set_name = ? AND rolled_back = 0 ORDER BY seq DESC LIMIT 2",
                arguments: [setName])
            guard rows.count == 2 else {
                if try Row.fetchOne(db, sql: "SELECT 1 FROM zone_set WHERE name = ?", arguments: [setName]) == nil {
                    throw StoreError.notFound("no zone set named \"\(setName)\"")
                }
                throw StoreError.conflict("zone set \"\(setName)\" has no earlier activation to roll back to")
            }
            let current: Int = rows[0]["version"], previous: Int = rows[1]["version"]
            try db.execute(sql: "UPDATE activation SET rolled_back = 1 WHERE seq = ?", arguments: [rows[0]["seq"] as Int])
            let checksum = try String.fetchOne(
                db, sql: "SELECT checksum FROM zone_set_version WHERE set_name = ? AND version = ?", arguments: [setName, previous])
            try Self.audit(db, at: at, actor: actor, action: "rollback", set: setName, version: previous, checksum: checksum,
                           detail: "active version \(current) → \(previous)")
            return previous
        }
        return try info(setName: setName, version: version)
    }

    private static func pushActivation(_ db: Database, set: String, version: Int, at: Timestamp, actor: String) throws {
        try db.execute(
            sql: "INSERT INTO activation(set_name, version, at, actor) VALUES (?, ?, ?, ?)",
            arguments: [set, version, at.iso8601, actor])
    }

    private static func activeVersion(_ db: Database, set: String) throws -> Int? {
        try Int.fetchOne(
            db, sql: "SELECT version FROM activation WHERE set_name = ? AND rolled_back = 0 ORDER BY seq DESC LIMIT 1",
            arguments: [set])
    }

    private static func audit(
        _ db: Database, at: Timestamp, actor: String, action: String, set: String, version: Int?, checksum: String?,
        detail: String
    ) throws {
        try db.execute(
            sql: "INSERT INTO audit_log(at, actor, action, set_name, version, checksum, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [at.iso8601, actor, action, set, version, checksum, detail])
    }

    // MARK: - Reading

    /// Every zone set with its versions, sets by name, versions ascending.
    public func sets() throws(StoreError) -> [ZoneSetSummary] {
        let names: [String] = try read { db in try String.fetchAll(db, sql: "SELECT name FROM zone_set ORDER BY name") }
        var out: [ZoneSetSummary] = []
        for name in names {
            let versions = try versions(setName: name)
            out.append(ZoneSetSummary(name: name, activeVersion: versions.first(where: \.isActive)?.version, versions: versions))
        }
        return out
    }

    /// The versions of one set, ascending; empty when the set does not exist.
    public func versions(setName: String) throws(StoreError) -> [ZoneSetVersionInfo] {
        try read { db in
            let active = try Self.activeVersion(db, set: setName)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM zone_set_version WHERE set_name = ? ORDER BY version", arguments: [setName]
            ).map { row in
                let version: Int = row["version"]
                return ZoneSetVersionInfo(
                    setName: row["set_name"], version: version, source: row["source"], checksum: row["checksum"],
                    zoneCount: row["zone_count"], vertexCount: row["vertex_count"],
                    approachVertexCount: row["approach_vertex_count"], createdBy: row["created_by"],
                    createdAt: Timestamp(iso8601: row["created_at"]) ?? Timestamp(millisecondsSinceEpoch: 0),
                    isActive: version == active)
            }
        }
    }

    /// The active version number of a set, or nil when none is active.
    public func activeVersion(setName: String) throws(StoreError) -> Int? {
        try read { db in try Self.activeVersion(db, set: setName) }
    }

    public func info(setName: String, version: Int) throws(StoreError) -> ZoneSetVersionInfo {
        guard let info = try versions(setName: setName).first(where: { $0.version == version }) else {
            throw .notFound("zone set \"\(setName)\" has no version \(version)")
        }
        return info
    }

    /// Resolves `version` (nil: the active one) of a set, or explains why there is none.
    public func resolveVersion(setName: String, version: Int?) throws(StoreError) -> Int {
        if let version {
            _ = try info(setName: setName, version: version)
            return version
        }
        if let active = try activeVersion(setName: setName) { return active }
        if try versions(setName: setName).isEmpty { throw .notFound("no zone set named \"\(setName)\"") }
        throw .notFound("zone set \"\(setName)\" has no active version (activate one with `cordon zones activate`)")
    }

    /// A stored version with every zone and approach polygon, in import order.
    public func zoneSet(setName: String, version: Int? = nil) throws(StoreError) -> ZoneSet {
        let v = try resolveVersion(setName: setName, version: version)
        // Rows are decoded in batches on other threads while the next ones are fetched (SQLite
        // reads them on this thread, one after another).
        let decoding = BatchDecoding()
        try read { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT properties, core, approach FROM zone WHERE set_name = ? AND version = ? ORDER BY position",
                arguments: [setName, v])
            var batch: [StoredZone] = []
            while let row = try cursor.next() {
                batch.append(StoredZone(row))
                if batch.count == BatchDecoding.batchSize {
                    decoding.submit(batch)
                    batch = []
                }
            }
            if !batch.isEmpty { decoding.submit(batch) }
        }
        return ZoneSet(name: setName, version: v, entries: try decoding.entries())
    }

    /// Zone rows decoded batch by batch on other threads as they are fetched: `submit` each
    /// batch in order (one thread), then `entries` waits for all and gives them in order, or
    /// the first row's error, in order. `@unchecked Sendable`: each decoding task writes only
    /// its own batch's slot, under the lock; `entries` reads after the group's wait.
    final class BatchDecoding: @unchecked Sendable {
        static let batchSize = 256
        private let group = DispatchGroup()
        private let lock = NSLock()
        private var batches: [[Result<ZoneSet.Entry, StoreError>]?] = []

        func submit(_ rows: [StoredZone]) {
            lock.lock()
            let k = batches.count
            batches.append(nil)
            lock.unlock()
            DispatchQueue.global().async(group: group) {
                let decoded = rows.map { row in Result { () throws(StoreError) in try ZoneStore.entry(row) } }
                self.lock.lock()
                self.batches[k] = decoded
                self.lock.unlock()
            }
        }

        func entries() throws(StoreError) -> [ZoneSet.Entry] {
            group.wait()
            var entries: [ZoneSet.Entry] = []
            entries.reserveCapacity(batches.count * Self.batchSize)
            for batch in batches {
                guard let batch else { throw .corrupt("a zone row was not decoded") }
                for result in batch {
                    switch result {
                    case .success(let entry): entries.append(entry)
                    case .failure(let error): throw error
                    }
                }
            }
            return entries
        }
    }

    /// One zone of a stored version, or nil when the version has no zone with that id.
    public func entry(setName: String, version: Int? = nil, id: String) throws(StoreError) -> ZoneSet.Entry? {
        let v = try resolveVersion(setName: setName, version: version)
        let row: Row? = try read { db in
            try Row.fetchOne(
                db, sql: "SELECT properties, core, approach FROM zone WHERE set_name = ? AND version = ? AND id = ?",
                arguments: [setName, v, id])
        }
        guard let row else { return nil }
        return try Self.entry(StoredZone(row))
    }

    /// A zone row's columns, read out of GRDB's row so that they can be decoded on any thread.
    struct StoredZone: Sendable {
        let properties: String
        let core: Data
        let approach: Data

        /// From a row of `SELECT properties, core, approach`, by position (a lookup by name
        /// compares the column names, case-insensitively, for every row).
        init(_ row: Row) {
            properties = row[0]
            core = row[1]
            approach = row[2]
        }
    }

    fileprivate static func entry(_ row: StoredZone) throws(StoreError) -> ZoneSet.Entry {
        do {
            let core = try row.core.withUnsafeBytes { bytes throws(WKB.Error) in try WKB.decode(bytes) }
            let approach = try row.approach.withUnsafeBytes { bytes throws(WKB.Error) in try WKB.decode(bytes) }
            switch ZoneRecord.zone(propertiesJSON: row.properties, geometry: core) {
            case .success(let zone): return ZoneSet.Entry(zone: zone, approach: approach)
            case .failure(let e): throw StoreError.corrupt(e.message)
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .corrupt(String(describing: error))
        }
    }

    /// The audit log, newest first.
    public func auditLog(limit: Int = 1000) throws(StoreError) -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?", arguments: [limit]).map { row in
                AuditEntry(
                    sequence: row["seq"], at: Timestamp(iso8601: row["at"]) ?? Timestamp(millisecondsSinceEpoch: 0),
                    actor: row["actor"], action: row["action"], setName: row["set_name"], version: row["version"],
                    checksum: row["checksum"], detail: row["detail"])
            }
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}
