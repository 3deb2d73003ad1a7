/// The kind of restricted site a zone protects; it sets the default policy and buffer.
///
/// A value type; `Sendable`. Raw values are the spelling in zone files.
public enum Category: String, Sendable, Hashable, CaseIterable, Comparable {
    case military
    case government
    case defenseIndustry = "defense_industry"
    case custom

    /// The policy a zone of this category gets when its file does not say (DESIGN.md).
    public var defaultPolicy: Policy {
        switch self {
        case .military, .defenseIndustry: Policy(cameras: [.exterior, .cabin], data: .drop)
        case .government, .custom: Policy(cameras: [.exterior], data: .drop)
        }
    }

    /// The approach distance in metres a zone of this category gets when its file does not say.
    public var defaultBufferMeters: Double {
        switch self {
        case .military, .defenseIndustry: 500
        case .government: 200
        case .custom: 100
        }
    }

    public static func < (a: Category, b: Category) -> Bool { a.rawValue < b.rawValue }
}
