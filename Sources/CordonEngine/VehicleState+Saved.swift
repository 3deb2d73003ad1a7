public import CordonCore

extension VehicleState {
    /// A vehicle's state without its zone snapshot, its held zones named by id: what a service
    /// keeps across a restart (docs/http-api.md) and restores against whatever version is then
    /// active, so that a vehicle suppressed before the restart stays suppressed and is released
    /// by the same rules, with `seq` continuing where it stopped.
    ///
    /// A value; `Sendable`. `json` and `init(json:)` are its stored form.
    public struct Saved: Sendable, Hashable {
        /// A held zone: its id, the category it held under and the start of its clear run.
        /// A value; `Sendable`.
        public struct Hold: Sendable, Hashable {
            public var zoneID: String
            public var category: Category
            public var clearSince: Timestamp?

            public init(zoneID: String, category: Category, clearSince: Timestamp?) {
                self.zoneID = zoneID
                self.category = category
                self.clearSince = clearSince
            }
        }

        public var vehicleID: String
        public var seq: Int
        public var lastTime: Timestamp?
        public var lastPosition: Coordinate?
        public var holds: [Hold]
        /// The camera groups and data action in force on the vehicle.
        public var cameras: CameraGroups
        public var data: DataAction
        public var fixesApplied: Int
        public var fixesRejected: Int
        public var enters: Int
    }

    /// This state as a `Saved` value.
    public var saved: Saved {
        var kept: [Saved.Hold] = []
        if let snapshot {
            kept = holds.map { Saved.Hold(zoneID: snapshot.rules[Int($0.zone)].id, category: $0.category, clearSince: $0.clearSince) }
        }
        // Zones that vanished at a restore and are not released yet still hold the vehicle.
        kept += vanished.map { Saved.Hold(zoneID: $0.id, category: $0.category, clearSince: nil) }
        return Saved(
            vehicleID: vehicleID, seq: seq, lastTime: lastTime, lastPosition: lastPosition, holds: kept, cameras: cameras,
            data: data, fixesApplied: fixesApplied, fixesRejected: fixesRejected, enters: enters)
    }

    /// Restores `saved` against `zones`. A held zone found in `zones` holds under that version's
    /// policy; one that is gone is released on the vehicle's next fix, with the directives that
    /// end what it imposed, as at a zone-set swap. The policy in force stays `saved`'s until then.
    public init(restoring saved: Saved, on zones: ZoneSnapshot) {
        self.init(vehicleID: saved.vehicleID)
        seq = saved.seq
        lastTime = saved.lastTime
        lastPosition = saved.lastPosition
        cameras = saved.cameras
        data = saved.data
        fixesApplied = saved.fixesApplied
        fixesRejected = saved.fixesRejected
        enters = saved.enters
        snapshot = zones
        restored = true
        for hold in saved.holds {
            if let n = zones.number(of: hold.zoneID), !holds.contains(where: { $0.zone == n }) {
                let rule = zones.rules[Int(n)]
                holds.append(Hold(zone: n, category: rule.category, policy: rule.policy, clearSince: hold.clearSince))
            } else if !vanished.contains(where: { $0.id == hold.zoneID }) {
                vanished.append((hold.zoneID, hold.category))
            }
        }
    }
}

extension VehicleState.Saved {
    /// The stored form: one JSON object, times in milliseconds since the epoch.
    public var json: JSONValue {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .number(Double($0.millisecondsSinceEpoch)) } ?? .null }
        var members: [JSONMember] = [
            JSONMember("vehicle_id", .string(vehicleID)), JSONMember("seq", .number(Double(seq))),
            JSONMember("last_time_ms", time(lastTime)),
            JSONMember("last_lon", lastPosition.map { .number($0.longitude) } ?? .null),
            JSONMember("last_lat", lastPosition.map { .number($0.latitude) } ?? .null),
            JSONMember("cameras", .array(cameras.names.map { .string($0) })), JSONMember("data", .string(data.name)),
        ]
        if case .coarsen(let m) = data { members.append(JSONMember("coarsen_m", .number(m))) }
        members.append(
            JSONMember(
                "holds",
                .array(
                    holds.map {
                        .object([
                            JSONMember("zone", .string($0.zoneID)), JSONMember("category", .string($0.category.rawValue)),
                            JSONMember("clear_since_ms", time($0.clearSince)),
                        ])
                    })))
        members += [
            JSONMember("fixes_applied", .number(Double(fixesApplied))),
            JSONMember("fixes_rejected", .number(Double(fixesRejected))), JSONMember("enters", .number(Double(enters))),
        ]
        return .object(members)
    }

    /// Reads the stored form; nil when `json` is not one (a member missing or of the wrong type).
    public init?(json: JSONValue) {
        func count(_ key: String) -> Int? {
            guard let v = json[key]?.numberValue, v >= 0, v < 9e15, v == v.rounded() else { return nil }
            return Int(v)
        }
        /// `.some(nil)` for null, nil when malformed.
        func time(_ value: JSONValue?) -> Timestamp?? {
            switch value {
            case .null?: return .some(nil)
            case .number(let v)? where abs(v) < 9e15 && v == v.rounded(): return .some(Timestamp(millisecondsSinceEpoch: Int64(v)))
            default: return nil
            }
        }
        guard case .string(let vehicleID)? = json["vehicle_id"], let seq = count("seq"),
            let fixesApplied = count("fixes_applied"), let fixesRejected = count("fixes_rejected"), let enters = count("enters"),
            let lastTime = time(json["last_time_ms"]), case .array(let cameraNames)? = json["cameras"],
            case .string(let dataName)? = json["data"], case .array(let holdValues)? = json["holds"]
        else { return nil }
        var position: Coordinate?
        switch (json["last_lon"], json["last_lat"]) {
        case (.null?, .null?): position = nil
        case (.number(let lon)?, .number(let lat)?):
            position = Coordinate(longitude: lon, latitude: lat)
            guard position?.isValid == true else { return nil }
        default: return nil
        }
        var cameras: CameraGroups = []
        for name in cameraNames {
            guard case .string(let s) = name, let group = CameraGroups(name: s) else { return nil }
            cameras.insert(group)
        }
        guard let data = DataAction(name: dataName, coarsenMeters: json["coarsen_m"]?.numberValue) else { return nil }
        var holds: [Hold] = []
        for value in holdValues {
            guard case .string(let zoneID)? = value["zone"], case .string(let c)? = value["category"],
                let category = Category(rawValue: c), let clearSince = time(value["clear_since_ms"])
            else { return nil }
            holds.append(Hold(zoneID: zoneID, category: category, clearSince: clearSince))
        }
        self.init(
            vehicleID: vehicleID, seq: seq, lastTime: lastTime, lastPosition: position, holds: holds, cameras: cameras,
            data: data, fixesApplied: fixesApplied, fixesRejected: fixesRejected, enters: enters)
    }
}
