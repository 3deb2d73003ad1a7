/// Well-Known Binary (ISO/OGC, little-endian, 2D) for Polygon and MultiPolygon: the encoding
/// in which the store keeps core and approach geometries.
///
/// Stateless; `Sendable`. `decode` checks every length against the bytes it has, so a damaged
/// blob gives `WKB.Error`, never a crash or an unbounded allocation.
public enum WKB {
    /// Why a blob could not be decoded, with the byte offset where it went wrong. A value; `Sendable`.
    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case truncated(offset: Int)
        case unsupported(String)

        public var description: String {
            switch self {
            case .truncated(let offset): "WKB truncated at byte \(offset)"
            case .unsupported(let what): "unsupported WKB: \(what)"
            }
        }
    }

    /// Encodes as a WKB Polygon when `isMulti` is false and there is one part, else MultiPolygon.
    public static func encode(_ geometry: MultiPolygon) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 * (geometry.vertexCount + 4 * geometry.polygons.count) + 64)
        if !geometry.isMulti && geometry.polygons.count == 1 {
            writePolygon(geometry.polygons[0], into: &out)
        } else {
            out.append(1)
            appendUInt32(6, &out)
            appendUInt32(UInt32(geometry.polygons.count), &out)
            for p in geometry.polygons { writePolygon(p, into: &out) }
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(WKB.Error) -> MultiPolygon {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(WKB.Error) in try decode(raw) } }
        return try result.get()
    }

    /// Decodes WKB read in place (for instance a blob column's bytes, without copying them).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WKB.Error) -> MultiPolygon {
        var reader = Reader(bytes: bytes)
        let type = try reader.header()
        switch type {
        case 3:
            return MultiPolygon([try reader.polygonBody()], isMulti: false)
        case 6:
            let n = try reader.count(minimumBytesEach: 9)
            var polygons: [Polygon] = []
            polygons.reserveCapacity(n)
            for _ in 0..<n {
                guard try reader.header() == 3 else { throw .unsupported("MultiPolygon member is not a Polygon") }
                polygons.append(try reader.polygonBody())
            }
            return MultiPolygon(polygons, isMulti: true)
        default:
            throw .unsupported("geometry type \(type)")
        }
    }

    private static func writePolygon(_ p: Polygon, into out: inout [UInt8]) {
        out.append(1)
        appendUInt32(3, &out)
        appendUInt32(UInt32(1 + p.holes.count), &out)
        for ring in p.rings {
            appendUInt32(UInt32(ring.coordinates.count), &out)
            for c in ring.coordinates {
                appendUInt64(c.longitude.bitPattern, &out)
                appendUInt64(c.latitude.bitPattern, &out)
            }
        }
    }

    private static func appendUInt32(_ v: UInt32, _ out: inout [UInt8]) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private static func appendUInt64(_ v: UInt64, _ out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var bigEndian = false

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func header() throws(WKB.Error) -> UInt32 {
            guard offset < bytes.count else { throw .truncated(offset: offset) }
            switch bytes[offset] {
            case 0: bigEndian = true
            case 1: bigEndian = false
            default: throw .unsupported("byte order \(bytes[offset])")
            }
            offset += 1
            return try uint32()
        }

        mutating func uint32() throws(WKB.Error) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw .truncated(offset: offset) }
            var v: UInt32 = 0
            for k in 0..<4 {
                let b = UInt32(bytes[offset + k])
                v |= bigEndian ? b << (8 * (3 - k)) : b << (8 * k)
            }
            offset += 4
            return v
        }

        /// `n` coordinates, read 8 bytes at a time (the caller has checked, through `count`,
        /// that the 16·n bytes are there).
        mutating func coordinates(_ n: Int) -> [Coordinate] {
            let start = offset, big = bigEndian
            offset += 16 * n
            let raw = bytes
            return [Coordinate](unsafeUninitializedCapacity: n) { out, initialized in
                for k in 0..<n {
                    let x = raw.loadUnaligned(fromByteOffset: start + 16 * k, as: UInt64.self)
                    let y = raw.loadUnaligned(fromByteOffset: start + 16 * k + 8, as: UInt64.self)
                    out[k] = Coordinate(
                        longitude: Double(bitPattern: big ? UInt64(bigEndian: x) : UInt64(littleEndian: x)),
                        latitude: Double(bitPattern: big ? UInt64(bigEndian: y) : UInt64(littleEndian: y)))
                }
                initialized = n
            }
        }

        /// A count, refused when the remaining bytes cannot hold that many items.
        mutating func count(minimumBytesEach: Int) throws(WKB.Error) -> Int {
            let n = Int(try uint32())
            guard n <= (bytes.count - offset) / minimumBytesEach else { throw .truncated(offset: offset) }
            return n
        }

        mutating func polygonBody() throws(WKB.Error) -> Polygon {
            let ringCount = try count(minimumBytesEach: 4)
            guard ringCount > 0 else { throw .unsupported("empty polygon") }
            var rings: [Ring] = []
            rings.reserveCapacity(ringCount)
            for _ in 0..<ringCount {
                let n = try count(minimumBytesEach: 16)
                rings.append(Ring(coordinates(n)))
            }
            return Polygon(exterior: rings[0], holes: Array(rings.dropFirst()))
        }
    }
}
