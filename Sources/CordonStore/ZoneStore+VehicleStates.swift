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

    /// Takes the saved vehicle states of `setName` (vehicle id and stored form, by vehicle id):
    /// reads and deletes them in one transaction, so a save is restored at most once and a
    /// crash after the restore never brings back a stale one.
    public func takeVehicleStates(setName: String) throws(StoreError) -> [(vehicleID: String, body: String)] {
        try write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT vehicle_id, body FROM vehicle_state WHERE set_name = ? ORDER BY vehicle_id", arguments: [setName]
            ).map { (vehicleID: $0["vehicle_id"] as String, body: $0["body"] as String) }
            try db.execute(sql: "DELETE FROM vehicle_state WHERE set_name = ?", arguments: [setName])
            return rows
        }
    }
}
