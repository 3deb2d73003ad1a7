// What `import Cordon` gives a user: the model, the formats, the store and the catalog.
@_exported public import CordonCore
@_exported public import CordonEngine
@_exported public import CordonFormats
@_exported public import CordonStore
@_exported public import CordonReplay
