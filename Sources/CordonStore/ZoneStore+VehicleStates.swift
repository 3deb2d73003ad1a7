public import CordonCore
import GRDB

extension ZoneStore {
    /// Stores the states of `setName` (vehicle id and stored form), each replacing that
    /// vehicle's row, in one transaction; other vehicles' rows (those evicted from memory) stay.
    public func upsertVehicleStates(
        setName: String, _ states: [(vehicleID: String, body: String)], savedAt: Timestamp
    ) throws(StoreError) {
        guard !states.isEmpty else { return }
        try write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO vehicle_state(set_name, vehicle_id, body, saved_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT(set_name, vehicle_id) DO UPDATE SET body = excluded.body, saved_ms = excluded.saved_ms
                    """)
            for s in states {
                try upsert.execute(arguments: [setName, s.vehicleID, s.body, savedAt.millisecondsSinceEpoch])
            }
        }
    }

    /// The saved vehicle states of `setName` (vehicle id and stored form, by vehicle id): the
    /// full save of the last graceful shutdown, updated since by the states written beside each
    /// batch of directives (`appendDirectives(_:vehicleStates:recordedAt:)`).
    public func vehicleStates(setName: String) throws(StoreError) -> [(vehicleID: String, body: String)] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT vehicle_id, body FROM vehicle_state WHERE set_name = ? ORDER BY vehicle_id", arguments: [setName]
            ).map { (vehicleID: $0["vehicle_id"] as String, body: $0["body"] as String) }
        }
    }

    /// The saved states of these vehicles of `setName` (those that have one), by vehicle id.
    public func vehicleStates(setName: String, vehicleIDs: [String]) throws(StoreError) -> [(vehicleID: String, body: String)] {
        guard !vehicleIDs.isEmpty else { return [] }
        return try read { db in
            var rows: [(vehicleID: String, body: String)] = []
            var start = 0
            while start < vehicleIDs.count {
                let part = Array(vehicleIDs[start..<min(start + 500, vehicleIDs.count)])
                start += part.count
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                rows += try Row.fetchAll(
                    db, sql: "SELECT vehicle_id, body FROM vehicle_state WHERE set_name = ? AND vehicle_id IN (\(marks)) ORDER BY vehicle_id",
                    arguments: StatementArguments([setName] + part)
                ).map { (vehicleID: $0["vehicle_id"] as String, body: $0["body"] as String) }
            }
            return rows
        }
    }
}
