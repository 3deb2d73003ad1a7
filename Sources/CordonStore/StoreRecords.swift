public import CordonCore

/// One immutable stored version of a zone set. A value type; `Sendable`.
public struct ZoneSetVersionInfo: Sendable, Hashable {
    public var setName: String
    public var version: Int
    /// File names the version was imported from, comma-separated.
    public var source: String
    /// `sha256:` + hex of the imported bytes.
    public var checksum: String
    public var zoneCount: Int
    public var vertexCount: Int
    public var approachVertexCount: Int
    public var createdBy: String
    public var createdAt: Timestamp
    public var isActive: Bool
}

/// A zone set and its versions, for listings. A value type; `Sendable`.
public struct ZoneSetSummary: Sendable, Hashable {
    public var name: String
    public var activeVersion: Int?
    public var versions: [ZoneSetVersionInfo]
}

/// One audit-log entry: who did what to which set and version, when. A value type; `Sendable`.
public struct AuditEntry: Sendable, Hashable {
    public var sequence: Int
    public var at: Timestamp
    public var actor: String
    /// `import`, `activate`, `rollback`.
    public var action: String
    public var setName: String
    public var version: Int?
    public var checksum: String?
    public var detail: String
}
