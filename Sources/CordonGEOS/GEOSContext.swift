import CGEOS
public import CordonCore

/// One GEOS reentrant context (`GEOSContextHandle_t`) and the last error it reported.
///
/// Not thread-safe: GEOS contexts are single-threaded. Each owner (an import task, a test)
/// creates its own and never shares it across threads; the type is deliberately not
/// `Sendable`. Every geometry made through a context keeps the context alive and must be used
/// on the same thread. `deinit` calls `GEOS_finish_r`.
public final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let messages: MessageBox

    /// Holds GEOS's last error message; GEOS calls back into it through `userdata`.
    final class MessageBox {
        var lastError = ""
    }

    public init() throws(GEOSError) {
        guard let handle = GEOS_init_r() else { throw .contextUnavailable }
        self.handle = handle
        self.messages = MessageBox()
        let userdata = Unmanaged.passUnretained(messages).toOpaque()
        // The box lives as long as the context (released in deinit after GEOS_finish_r).
        _ = GEOSContext_setErrorMessageHandler_r(
            handle,
            { message, userdata in
                guard let message, let userdata else { return }
                Unmanaged<MessageBox>.fromOpaque(userdata).takeUnretainedValue().lastError = String(cString: message)
            }, userdata)
    }

    deinit {
        GEOS_finish_r(handle)
    }

    /// GEOS's version string, e.g. `3.11.1-CAPI-1.17.1`.
    public static var version: String { String(cString: GEOSversion()) }

    func failure(_ operation: String) -> GEOSError {
        let message = messages.lastError.isEmpty ? "unknown error" : messages.lastError
        messages.lastError = ""
        return .exception(operation: operation, message: message)
    }

    // MARK: - Building geometries

    /// A GEOS MultiPolygon (or Polygon when `geometry` is a single part not declared multi).
    public func geometry(_ geometry: MultiPolygon) throws(GEOSError) -> GEOSGeometryHandle {
        var polygons: [OpaquePointer?] = []
        polygons.reserveCapacity(geometry.polygons.count)
        do throws(GEOSError) {
            for p in geometry.polygons { polygons.append(try polygon(p)) }
        } catch {
            for p in polygons { GEOSGeom_destroy_r(handle, p) }
            throw error
        }
        if !geometry.isMulti && polygons.count == 1, let only = polygons[0] {
            return GEOSGeometryHandle(context: self, pointer: only)
        }
        // GEOSGeom_createCollection_r takes ownership of the members (not of the array).
        let created: OpaquePointer? = polygons.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createCollection_r(handle, Int32(GEOS_MULTIPOLYGON.rawValue), buffer.baseAddress, UInt32(buffer.count))
        }
        guard let created else {
            for p in polygons { GEOSGeom_destroy_r(handle, p) }
            throw failure("createCollection")
        }
        return GEOSGeometryHandle(context: self, pointer: created)
    }

    /// A GEOS point; GEOS 3.11 has no prepared XY predicates, so oracles make one per query.
    public func point(_ c: Coordinate) throws(GEOSError) -> GEOSGeometryHandle {
        guard let p = GEOSGeom_createPointFromXY_r(handle, c.longitude, c.latitude) else { throw failure("createPoint") }
        return GEOSGeometryHandle(context: self, pointer: p)
    }

    /// Returns an owned GEOS polygon; the caller destroys it or hands it to a collection.
    private func polygon(_ p: Polygon) throws(GEOSError) -> OpaquePointer {
        let shell = try linearRing(p.exterior)
        var holes: [OpaquePointer?] = []
        holes.reserveCapacity(p.holes.count)
        for h in p.holes {
            do throws(GEOSError) { holes.append(try linearRing(h)) } catch {
                GEOSGeom_destroy_r(handle, shell)
                for x in holes { GEOSGeom_destroy_r(handle, x) }
                throw error
            }
        }
        // Takes ownership of shell and holes, also on failure (GEOS frees them).
        let created: OpaquePointer? = holes.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createPolygon_r(handle, shell, buffer.baseAddress, UInt32(buffer.count))
        }
        guard let created else { throw failure("createPolygon") }
        return created
    }

    private func linearRing(_ ring: Ring) throws(GEOSError) -> OpaquePointer {
        let seq: OpaquePointer? = ring.coordinates.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Double.self) { doubles -> OpaquePointer? in
                // Coordinate is two Doubles (lon, lat): the XY layout GEOS expects.
                GEOSCoordSeq_copyFromBuffer_r(handle, doubles.baseAddress, UInt32(ring.coordinates.count), 0, 0)
            }
        }
        guard let seq else { throw failure("copyFromBuffer") }
        // Takes ownership of the sequence, also on failure.
        guard let lr = GEOSGeom_createLinearRing_r(handle, seq) else { throw failure("createLinearRing") }
        return lr
    }

    // MARK: - Reading geometries back

    /// The polygonal parts of a GEOS geometry as a MultiPolygon; lines and points (e.g. collapsed
    /// parts of a repair) are skipped and counted in `droppedParts`.
    public func multiPolygon(_ g: GEOSGeometryHandle, droppedParts: inout Int) throws(GEOSError) -> MultiPolygon {
        var polygons: [Polygon] = []
        try collect(g.pointer, into: &polygons, dropped: &droppedParts)
        let type = GEOSGeomTypeId_r(handle, g.pointer)  // -1 on exception
        return MultiPolygon(polygons, isMulti: type != Int32(GEOS_POLYGON.rawValue))
    }

    private func collect(_ g: OpaquePointer, into polygons: inout [Polygon], dropped: inout Int) throws(GEOSError) {
        let type = GEOSGeomTypeId_r(handle, g)  // -1 on exception
        guard type >= 0 else { throw failure("typeId") }
        switch type {
        case Int32(GEOS_POLYGON.rawValue):
            if GEOSisEmpty_r(handle, g) == 1 { return }  // 1 true, 0 false, 2 exception
            guard let shell = GEOSGetExteriorRing_r(handle, g) else { throw failure("getExteriorRing") }
            let exterior = try coordinates(shell)
            let n = GEOSGetNumInteriorRings_r(handle, g)  // -1 on exception
            guard n >= 0 else { throw failure("getNumInteriorRings") }
            var holes: [Ring] = []
            for k in 0..<n {
                guard let h = GEOSGetInteriorRingN_r(handle, g, k) else { throw failure("getInteriorRingN") }
                holes.append(try coordinates(h))
            }
            polygons.append(Polygon(exterior: exterior, holes: holes))
        case Int32(GEOS_MULTIPOLYGON.rawValue), Int32(GEOS_GEOMETRYCOLLECTION.rawValue):
            let n = GEOSGetNumGeometries_r(handle, g)  // -1 on exception
            guard n >= 0 else { throw failure("getNumGeometries") }
            for k in 0..<n {
                guard let part = GEOSGetGeometryN_r(handle, g, k) else { throw failure("getGeometryN") }
                try collect(part, into: &polygons, dropped: &dropped)
            }
        default:
            dropped += 1
        }
    }

    private func coordinates(_ ring: OpaquePointer) throws(GEOSError) -> Ring {
        guard let seq = GEOSGeom_getCoordSeq_r(handle, ring) else { throw failure("getCoordSeq") }
        var size: UInt32 = 0
        guard GEOSCoordSeq_getSize_r(handle, seq, &size) != 0 else { throw failure("getSize") }  // 0 on exception
        var coords = [Coordinate](repeating: Coordinate(longitude: 0, latitude: 0), count: Int(size))
        let ok = coords.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: Double.self) { doubles in
                GEOSCoordSeq_copyToBuffer_r(handle, seq, doubles.baseAddress, 0, 0)  // 0 on exception
            }
        }
        guard ok != 0 else { throw failure("copyToBuffer") }
        return Ring(coords)
    }
}

/// An owned `GEOSGeometry*`, destroyed with its context's handle in `deinit`.
///
/// Not thread-safe; belongs to the thread that owns its `GEOSContext`, which it keeps alive.
public final class GEOSGeometryHandle {
    public let context: GEOSContext
    let pointer: OpaquePointer

    init(context: GEOSContext, pointer: OpaquePointer) {
        self.context = context
        self.pointer = pointer
    }

    deinit { GEOSGeom_destroy_r(context.handle, pointer) }

    /// Planar area in the geometry's own units.
    public func area() throws(GEOSError) -> Double {
        var a = 0.0
        guard GEOSArea_r(context.handle, pointer, &a) != 0 else { throw context.failure("area") }  // 0 on exception
        return a
    }

    /// Closed containment of a point, via GEOS `intersects` (equal to `covers` for a point).
    public func intersects(_ other: GEOSGeometryHandle) throws(GEOSError) -> Bool {
        let r = GEOSIntersects_r(context.handle, pointer, other.pointer)  // 1 true, 0 false, 2 exception
        guard r != 2 else { throw context.failure("intersects") }
        return r == 1
    }

    /// Whether every point of `other` lies in this geometry or on its boundary (GEOS `covers`).
    public func covers(_ other: GEOSGeometryHandle) throws(GEOSError) -> Bool {
        let r = GEOSCovers_r(context.handle, pointer, other.pointer)  // 1 true, 0 false, 2 exception
        guard r != 2 else { throw context.failure("covers") }
        return r == 1
    }
}

extension GEOSContext {
    /// A GEOS line string through `points` (at least two).
    public func lineString(_ points: [Coordinate]) throws(GEOSError) -> GEOSGeometryHandle {
        let seq: OpaquePointer? = points.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Double.self) { doubles -> OpaquePointer? in
                GEOSCoordSeq_copyFromBuffer_r(handle, doubles.baseAddress, UInt32(points.count), 0, 0)
            }
        }
        guard let seq else { throw failure("copyFromBuffer") }
        guard let line = GEOSGeom_createLineString_r(handle, seq) else { throw failure("createLineString") }  // takes the sequence
        return GEOSGeometryHandle(context: self, pointer: line)
    }
}

extension GEOSGeometryHandle {
    /// Planar distance between two geometries, in their units.
    public func distance(to other: GEOSGeometryHandle) throws(GEOSError) -> Double {
        var d = 0.0
        guard GEOSDistance_r(context.handle, pointer, other.pointer, &d) != 0 else { throw context.failure("distance") }  // 0 on exception
        return d
    }
}
