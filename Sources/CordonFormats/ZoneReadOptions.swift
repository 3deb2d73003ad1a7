public import CordonCore

/// The datum a zone file's coordinates are in. Cordon stores WGS84 only. A value; `Sendable`.
public enum Datum: String, Sendable, Hashable, CaseIterable {
    case wgs84
    /// Chinese consumer-map coordinates; converted to WGS84 on read (`GCJ02.gcj02ToWGS84`).
    case gcj02
}

/// How zone files are read: limits, where ids come from, datum, defaults for property-less formats.
///
/// A value type; `Sendable`. The defaults are the documented ones (docs/zone-formats.md).
public struct ZoneReadOptions: Sendable, Hashable {
    /// Files larger than this are refused before parsing (default 256 MiB).
    public var maximumFileBytes: Int = 256 << 20
    /// The property that holds the zone id, instead of `id` (GeoJSON `--id-property`).
    public var idProperty: String?
    public var datum: Datum = .wgs84
    /// Close unclosed rings (reported as a warning) instead of refusing them.
    public var repair: Bool = false
    /// Properties applied to every zone of a format that carries none (WKT), and used as
    /// fallbacks for keys a feature does not set in GeoJSON and KML.
    public var defaultProperties: [JSONMember] = []
    /// Largest accepted `buffer_m` in metres.
    public var maximumBufferMeters: Double = 100_000
    /// Nesting limit for JSON and XML.
    public var maximumDepth: Int = 128

    public init() {}
}

/// A zone read from a file, with its position there for later diagnostics. A value; `Sendable`.
public struct ReadZone: Sendable, Hashable {
    public var file: String
    /// 0-based index of the feature / placemark / line-record within the file.
    public var featureIndex: Int
    public var zone: Zone

    public init(file: String, featureIndex: Int, zone: Zone) {
        self.file = file
        self.featureIndex = featureIndex
        self.zone = zone
    }
}

/// What reading one zone file produced: the zones that passed the format-level checks and
/// every finding, in file order. A value; `Sendable`; the caller owns it.
public struct ZoneFileReadResult: Sendable, Hashable {
    public var file: String
    public var zones: [ReadZone] = []
    public var diagnostics: [Diagnostic] = []
    /// Features seen, good or bad.
    public var featureCount = 0

    public init(file: String) { self.file = file }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
