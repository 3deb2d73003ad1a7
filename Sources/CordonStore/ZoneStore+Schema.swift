import GRDB

extension ZoneStore {
    /// Every schema change, in order. Migrations never change a table a released version wrote
    /// in place: they add tables and columns.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-zone-sets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE zone_set (
                        name TEXT PRIMARY KEY NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE TABLE zone_set_version (
                        set_name TEXT NOT NULL REFERENCES zone_set(name),
                        version INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        checksum TEXT NOT NULL,
                        zone_count INTEGER NOT NULL,
                        vertex_count INTEGER NOT NULL,
                        approach_vertex_count INTEGER NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (set_name, version)
                    );
                    CREATE TABLE zone (
                        set_name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        category TEXT NOT NULL,
                        cameras TEXT NOT NULL,
                        data TEXT NOT NULL,
                        coarsen_m REAL,
                        buffer_m REAL NOT NULL,
                        schedule TEXT,
                        valid_from TEXT,
                        valid_until TEXT,
                        properties TEXT NOT NULL, -- canonical JSON of every non-geometry property
                        core BLOB NOT NULL,
                        approach BLOB NOT NULL,
                        PRIMARY KEY (set_name, version, id),
                        FOREIGN KEY (set_name, version) REFERENCES zone_set_version(set_name, version)
                    );
                    CREATE UNIQUE INDEX zone_position ON zone(set_name, version, position);
                    -- The activation stack: the active version of a set is its latest row not rolled back.
                    CREATE TABLE activation (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        set_name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        at TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        rolled_back INTEGER NOT NULL DEFAULT 0,
                        FOREIGN KEY (set_name, version) REFERENCES zone_set_version(set_name, version)
                    );
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        at TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        set_name TEXT NOT NULL,
                        version INTEGER,
                        checksum TEXT,
                        detail TEXT NOT NULL
                    );
                    -- Versions are immutable and the audit log is append-only.
                    CREATE TRIGGER zone_no_update BEFORE UPDATE ON zone
                        BEGIN SELECT RAISE(ABORT, 'zone versions are immutable'); END;
                    CREATE TRIGGER zone_no_delete BEFORE DELETE ON zone
                        BEGIN SELECT RAISE(ABORT, 'zone versions are immutable'); END;
                    CREATE TRIGGER version_no_update BEFORE UPDATE ON zone_set_version
                        BEGIN SELECT RAISE(ABORT, 'zone versions are immutable'); END;
                    CREATE TRIGGER version_no_delete BEFORE DELETE ON zone_set_version
                        BEGIN SELECT RAISE(ABORT, 'zone versions are immutable'); END;
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        m.registerMigration("v2-tokens-directives") { db in
            try db.execute(
                sql: """
                    -- API bearer tokens: only the SHA-256 of a token is stored.
                    CREATE TABLE api_token (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('admin', 'vehicle', 'owner')),
                        vehicle_id TEXT,
                        hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    -- Directives the service issued, for owners; pruned after the retention period.
                    CREATE TABLE directive_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        vehicle_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        time_ms INTEGER NOT NULL,
                        recorded_ms INTEGER NOT NULL,
                        body TEXT NOT NULL -- the directive's wire object (docs/directives.md)
                    );
                    CREATE INDEX directive_log_vehicle ON directive_log(vehicle_id, time_ms);
                    CREATE INDEX directive_log_recorded ON directive_log(recorded_ms);
                    """)
        }
        m.registerMigration("v3-vehicle-state") { db in
            try db.execute(
                sql: """
                    -- The service's vehicle states, saved at shutdown and restored at start-up
                    -- (VehicleState.Saved as JSON), per served zone set.
                    CREATE TABLE vehicle_state (
                        set_name TEXT NOT NULL,
                        vehicle_id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        saved_ms INTEGER NOT NULL,
                        PRIMARY KEY (set_name, vehicle_id)
                    );
                    """)
        }
        return m
    }
}
