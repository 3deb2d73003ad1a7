/// A restricted zone: a stable id, what it protects, where it is and what vehicles must do there.
///
/// A value type; `Sendable`. `geometry` is the core area (holes allowed, RFC 7946 winding
/// after import); the approach area (core buffered by `bufferMeters`) is computed at import
/// and kept beside the zone in `ZoneSet.Entry`. `metadata` holds every property of the source
/// that Cordon does not interpret, in source order.
public struct Zone: Sendable, Hashable {
    public var id: String
    public var name: String
    public var category: Category
    public var geometry: MultiPolygon
    public var policy: Policy
    /// Approach distance in metres (>= 0): the zone is enforced from this far out.
    public var bufferMeters: Double
    public var schedule: Schedule?
    public var validFrom: Timestamp?
    public var validUntil: Timestamp?
    public var metadata: [JSONMember]

    public init(
        id: String, name: String, category: Category, geometry: MultiPolygon,
        policy: Policy? = nil, bufferMeters: Double? = nil, schedule: Schedule? = nil,
        validFrom: Timestamp? = nil, validUntil: Timestamp? = nil, metadata: [JSONMember] = []
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.geometry = geometry
        self.policy = policy ?? category.defaultPolicy
        self.bufferMeters = bufferMeters ?? category.defaultBufferMeters
        self.schedule = schedule
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.metadata = metadata
    }
}

/// One immutable version of a named set of zones, with each zone's approach polygon.
///
/// A value type; `Sendable`. Built by the import pipeline (`Cordon.ZoneCatalog`) or loaded
/// from the store; readers never mutate it. Zone ids are unique within a set.
public struct ZoneSet: Sendable, Hashable {
    /// A zone and its approach area (the core buffered by `bufferMeters`; equal to the core
    /// when the buffer is 0).
    /// A value; `Sendable`.
    public struct Entry: Sendable, Hashable {
        public var zone: Zone
        public var approach: MultiPolygon

        public init(zone: Zone, approach: MultiPolygon) {
            self.zone = zone
            self.approach = approach
        }
    }

    public var name: String
    /// The store's version number; 0 for a set not stored yet.
    public var version: Int
    public var entries: [Entry]

    public init(name: String, version: Int, entries: [Entry]) {
        self.name = name
        self.version = version
        self.entries = entries
    }

    public var zones: [Zone] { entries.map(\.zone) }
}

/// Orders zone ids as people expect: integer ids first, numerically (ties by text), then the
/// others by text. A strict total order; every listing of zone ids (CLI output, directives)
/// uses it.
public func naturalIDOrder(_ a: String, _ b: String) -> Bool { naturalIDOrder(a, Int(a), b, Int(b)) }

/// `naturalIDOrder` of `a` and `b` given their integer values (nil when not integers).
private func naturalIDOrder(_ a: String, _ x: Int?, _ b: String, _ y: Int?) -> Bool {
    switch (x, y) {
    case (let x?, let y?): return x != y ? x < y : a < b
    case (.some, nil): return true
    case (nil, .some): return false
    case (nil, nil): return a < b
    }
}

/// The positions of `ids` in `naturalIDOrder`: the order `sorted(by: naturalIDOrder)` gives,
/// with each id's integer value read once rather than at every comparison (a replay sorts the
/// ids of every vehicle it saw, a few hundred thousand of them for a large fleet).
public func naturalIDPermutation(_ ids: [String]) -> [Int] {
    let numbers = ids.map { Int($0) }
    return ids.indices.sorted { i, j in naturalIDOrder(ids[i], numbers[i], ids[j], numbers[j]) }
}

/// `ids` in `naturalIDOrder` (see `naturalIDPermutation`).
public func naturalIDSorted(_ ids: some Sequence<String>) -> [String] {
    let all = Array(ids)
    return naturalIDPermutation(all).map { all[$0] }
}
