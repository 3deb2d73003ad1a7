public import CordonCore
import GRDB

extension ZoneStore {
    /// Replaces the saved vehicle states of `setName` with `states` (vehicle id and stored form)
    /// in one transaction: the previous save is kept whole if this one fails.
    public func replaceVehicleStates(
        setName: String, _ states: [(vehicleID: String, body: String)], savedAt: Timestamp
    ) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM vehicle_state WHERE set_name = ?", arguments: [setName])
            let insert = try db.cachedStatement(
                sql: "INSERT INTO vehicle_state(set_name, vehicle_id, body, saved_ms) VALUES (?, ?, ?, ?)")
            for s in states {
                try insert.execute(arguments: [setName, s.vehicleID, s.body, savedAt.millisecondsSinceEpoch])
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
}
