public import CordonCore
import GRDB

/// One stored directive: its vehicle, sequence number, kind, time and wire object (JSON text).
/// A value; `Sendable`.
public struct LoggedDirective: Sendable, Hashable {
    public var vehicleID: String
    public var seq: Int
    public var kind: String
    public var time: Timestamp
    /// The directive's wire object as written by `Directive.jsonLine`.
    public var body: String

    public init(vehicleID: String, seq: Int, kind: String, time: Timestamp, body: String) {
        self.vehicleID = vehicleID
        self.seq = seq
        self.kind = kind
        self.time = time
        self.body = body
    }
}

extension ZoneStore {
    /// Appends directives to the log, stamped with `recordedAt`, and stores the given vehicle
    /// states of a zone set (vehicle id and stored form; each replaces that vehicle's row), all
    /// in one transaction: the log and the states are written together or not at all.
    public func appendDirectives(
        _ directives: [LoggedDirective], vehicleStates: (setName: String, states: [(vehicleID: String, body: String)]) = ("", []),
        recordedAt: Timestamp
    ) throws(StoreError) {
        guard !directives.isEmpty || !vehicleStates.states.isEmpty else { return }
        try write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO directive_log(vehicle_id, seq, kind, time_ms, recorded_ms, body) VALUES (?, ?, ?, ?, ?, ?)")
            for d in directives {
                try insert.execute(arguments: [
                    d.vehicleID, d.seq, d.kind, d.time.millisecondsSinceEpoch, recordedAt.millisecondsSinceEpoch, d.body,
                ])
            }
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO vehicle_state(set_name, vehicle_id, body, saved_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT(set_name, vehicle_id) DO UPDATE SET body = excluded.body, saved_ms = excluded.saved_ms
                    """)
            for s in vehicleStates.states {
                try upsert.execute(arguments: [vehicleStates.setName, s.vehicleID, s.body, recordedAt.millisecondsSinceEpoch])
            }
        }
    }

    /// A vehicle's directives with `from <= time < to`, in the order they were issued, at most
    /// `limit` of them.
    public func directives(vehicleID: String, from: Timestamp?, to: Timestamp?, limit: Int) throws(StoreError) -> [LoggedDirective] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT vehicle_id, seq, kind, time_ms, body FROM directive_log
                    WHERE vehicle_id = ? AND time_ms >= ? AND time_ms < ? ORDER BY id LIMIT ?
                    """,
                arguments: [
                    vehicleID, from?.millisecondsSinceEpoch ?? Int64.min, to?.millisecondsSinceEpoch ?? Int64.max, limit,
                ]
            ).map { row in
                LoggedDirective(
                    vehicleID: row["vehicle_id"], seq: row["seq"], kind: row["kind"],
                    time: Timestamp(millisecondsSinceEpoch: row["time_ms"]), body: row["body"])
            }
        }
    }

    /// Deletes directives recorded before `cutoff`; returns how many.
    @discardableResult
    public func pruneDirectives(recordedBefore cutoff: Timestamp) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM directive_log WHERE recorded_ms < ?", arguments: [cutoff.millisecondsSinceEpoch])
            return db.changesCount
        }
    }
}
