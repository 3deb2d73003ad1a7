public import CordonCore
public import CordonIndex

/// One zone-set version ready for evaluation: its point index and, for each zone (numbered as
/// in the index), the id, category, policy and when it is enforced.
///
/// Immutable and `Sendable`: build it once per activated version (the index build dominates)
/// and share it between any number of threads and vehicles. A fleet swaps snapshots whole;
/// each vehicle moves to the new one on its next fix.
public final class ZoneSnapshot: Sendable {
    /// What the engine needs to know about one zone.
    /// A value; `Sendable`.
    public struct Rule: Sendable {
        public let id: String
        public let category: Category
        public let policy: Policy
        public let schedule: CompiledSchedule?
        public let validFrom: Timestamp?
        /// Exclusive: the zone is no longer enforced from this instant.
        public let validUntil: Timestamp?

        /// Whether the zone is enforced at `t`: within its validity dates and, when it has a
        /// schedule, inside one of its windows (local time of the schedule's time zone).
        @inlinable
        public func isEnforced(at t: Timestamp) -> Bool {
            if let from = validFrom, t < from { return false }
            if let until = validUntil, t >= until { return false }
            if let schedule { return schedule.isActive(at: t) }
            return true
        }
    }

    public let setName: String
    public let version: Int
    public let index: ZoneIndex
    /// By zone number (`ZoneHit.zone`).
    public let rules: [Rule]
    /// True when some zone has a schedule or validity dates, so enforcement depends on time.
    public let isTimeDependent: Bool
    private let numbers: [String: UInt32]
    /// By zone number: the box of every vertex of the zone's core and approach polygons (empty
    /// for a zone without any), so that a disk whose box misses it is known to touch neither.
    let bounds: [BoundingBox]

    /// A snapshot over `set` with an index built from it.
    public convenience init(_ set: ZoneSet) {
        self.init(set, index: ZoneIndex.Builder().build(set))
    }

    /// A snapshot over `set` with its already built `index` (built from this very set, so zone
    /// numbers agree).
    public init(_ set: ZoneSet, index: ZoneIndex) {
        precondition(index.zoneIDs.count == set.entries.count, "index was built from another zone set")
        self.setName = set.name
        self.version = set.version
        self.index = index
        var rules: [Rule] = []
        rules.reserveCapacity(set.entries.count)
        var numbers: [String: UInt32] = [:]
        var timeDependent = false
        var bounds: [BoundingBox] = []
        bounds.reserveCapacity(set.entries.count)
        for (k, entry) in set.entries.enumerated() {
            let z = entry.zone
            // Every ring, holes too: the index keeps the edges of all of them.
            var box = BoundingBox.empty
            box.extend(allRingsOf: z.geometry)
            box.extend(allRingsOf: entry.approach)
            bounds.append(box)
            rules.append(
                Rule(
                    id: z.id, category: z.category, policy: z.policy, schedule: z.schedule.map(CompiledSchedule.init),
                    validFrom: z.validFrom, validUntil: z.validUntil))
            numbers[z.id] = UInt32(k)
            if z.schedule != nil || z.validFrom != nil || z.validUntil != nil { timeDependent = true }
        }
        self.rules = rules
        self.numbers = numbers
        self.bounds = bounds
        self.isTimeDependent = timeDependent
    }

    /// The number of the zone with `id`, or nil when this version has no such zone.
    public func number(of id: String) -> UInt32? { numbers[id] }
}
