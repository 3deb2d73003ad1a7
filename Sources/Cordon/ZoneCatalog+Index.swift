public import CordonCore
@_exported public import CordonIndex
public import CordonStore

extension ZoneCatalog {
    /// The zone set to use when the caller names none: the only set in the store.
    public func defaultSetName() throws(StoreError) -> String {
        let sets = try store.sets()
        guard sets.count == 1, let only = sets.first else {
            if sets.isEmpty { throw .notFound("no zone sets in \(store.path); import one with `cordon zones import`") }
            throw .notFound("several zone sets (\(sets.map(\.name).joined(separator: ", "))); name one with --set")
        }
        return only.name
    }

    /// A stored version (the active one by default) of the named set, or of the only set.
    public func loadSet(setName: String?, version: Int? = nil) throws(StoreError) -> ZoneSet {
        let name: String
        if let setName { name = setName } else { name = try defaultSetName() }
        return try store.zoneSet(setName: name, version: version)
    }

}
