import CordonCore

extension VehicleTracker {
    /// Everything the directives of one policy change are made from.
    struct Change {
        let fix: PositionFix
        let zones: ZoneSnapshot
        let held: [VehicleState.Hold]
        let released: [(id: String, category: Category)]
        let wasHeld: Bool
        let nowHeld: Bool
        /// The new data action is stricter than the old one.
        let stricter: Bool
        /// When a data action begun by an entry takes effect.
        let preroll: Timestamp
    }

    /// Emits, in this order: camera.disable, the new data action's begin, the old one's end,
    /// camera.enable. Begins and disables name the zones holding the vehicle after the fix;
    /// ends and enables the zones released at it (or, on an escalation, those holding).
    static func emitChanges(
        _ change: Change, from old: (CameraGroups, DataAction), to new: (CameraGroups, DataAction),
        state: inout VehicleState, into out: inout [Directive]
    ) {
        let t = change.fix.time
        let rules = change.zones.rules
        let heldNames = names(change.held.map { (rules[Int($0.zone)].id, $0.category) })
        let releasedNames = change.released.isEmpty ? heldNames : names(change.released)
        func emit(
            _ kind: Directive.Kind, _ reason: Directive.Reason, at effective: Timestamp,
            _ zones: (ids: [String], categories: [Category]), cameras: CameraGroups = [], precision: Double? = nil
        ) {
            state.seq += 1
            out.append(
                Directive(
                    vehicleID: state.vehicleID, seq: state.seq, kind: kind, reason: reason, time: t, effectiveAt: effective,
                    zoneIDs: zones.ids, categories: zones.categories, zoneSetName: change.zones.setName,
                    zoneSetVersion: change.zones.version, cameras: cameras, precisionMeters: precision))
        }
        let disabled = new.0.subtracting(old.0)
        if !disabled.isEmpty {
            emit(.cameraDisable, change.wasHeld ? .escalate : .enter, at: t, heldNames, cameras: disabled)
        }
        if new.1 != old.1 {
            let shift: Directive.Reason = change.stricter ? .escalate : .relax
            if let kind = Directive.Kind.dataBegin(new.1) {
                emit(
                    kind, change.wasHeld ? shift : .enter, at: change.stricter ? change.preroll : t, heldNames,
                    precision: precision(new.1))
            }
            if let kind = Directive.Kind.dataEnd(old.1) {
                emit(
                    kind, change.nowHeld ? shift : .exit, at: t, change.stricter ? heldNames : releasedNames,
                    precision: precision(old.1))
            }
        }
        let enabled = old.0.subtracting(new.0)
        if !enabled.isEmpty {
            emit(.cameraEnable, change.nowHeld ? .relax : .exit, at: t, releasedNames, cameras: enabled)
        }
    }

    static func precision(_ action: DataAction) -> Double? {
        if case .coarsen(let m) = action { return m }
        return nil
    }

    /// Sorted zone ids and sorted distinct categories of some zones.
    static func names(_ zones: [(id: String, category: Category)]) -> (ids: [String], categories: [Category]) {
        var ids = zones.map(\.id)
        ids.sort(by: naturalIDOrder)
        var categories: [Category] = []
        for z in zones where !categories.contains(z.category) { categories.append(z.category) }
        categories.sort()
        return (ids, categories)
    }
}
