public import CordonCore

/// A 128-bit non-cryptographic hash over 64-bit words, in four lanes (the xxHash64 round), so
/// that a long run of words costs about one multiplication each and the lanes overlap: for
/// checking that persisted bytes are the ones written, and for naming what an index was built
/// from. A value; `Sendable`.
public struct WordHash: Sendable {
    private var lanes: (UInt64, UInt64, UInt64, UInt64)
    private var count: UInt64 = 0

    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    public init(seed: UInt64 = 0) {
        lanes = (seed &+ Self.p1 &+ Self.p2, seed &+ Self.p2, seed, seed &- Self.p1)
    }

    @inline(__always)
    private static func round(_ lane: UInt64, _ x: UInt64) -> UInt64 {
        let v = lane &+ x &* p2
        return ((v << 31) | (v >> 33)) &* p1
    }

    /// Adds one word (to the first lane).
    public mutating func add(_ x: UInt64) {
        lanes.0 = Self.round(lanes.0, x)
        count &+= 1
    }

    /// Adds `words`, four at a time across the lanes.
    public mutating func add(_ words: UnsafeBufferPointer<UInt64>) {
        guard let p = words.baseAddress else { return }
        var (a, b, c, d) = lanes
        var i = 0
        while i + 4 <= words.count {
            a = Self.round(a, p[i])
            b = Self.round(b, p[i + 1])
            c = Self.round(c, p[i + 2])
            d = Self.round(d, p[i + 3])
            i += 4
        }
        lanes = (a, b, c, d)
        while i < words.count {
            lanes.0 = Self.round(lanes.0, p[i])
            i += 1
        }
        count &+= UInt64(words.count)
    }

    /// Adds whole 8-byte words of `bytes` (its length must be a multiple of 8).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % 8 == 0, "WordHash hashes whole words")
        guard let base = bytes.baseAddress else { return }
        if Int(bitPattern: base) % 8 == 0 {
            add(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt64.self), count: bytes.count / 8))
        } else {
            for k in 0..<bytes.count / 8 { add(bytes.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)) }
        }
    }

    /// The two halves of the hash of everything added.
    public var value: (UInt64, UInt64) {
        let (a, b, c, d) = lanes
        let high = mix64(a ^ mix64(b &+ count)) ^ mix64(c &* Self.p1 ^ d)
        let low = mix64(b ^ mix64(c &+ count &* Self.p2)) ^ mix64(d &* Self.p2 ^ a)
        return (high, low)
    }
}

extension ZoneIndex {
    /// What a built index is made from: the persisted format, the builder's parameters, the
    /// zone ids and every area's rings in order (coordinates by their bits, with the counts
    /// that give them their structure). Equal fingerprints mean the builder would make the
    /// same index (the set's name and version do not enter: they do not change the structure).
    /// A value; `Sendable`.
    public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
        public let high: UInt64, low: UInt64

        public init(high: UInt64, low: UInt64) {
            self.high = high
            self.low = low
        }

        /// 32 hexadecimal digits.
        public var description: String {
            func hex(_ v: UInt64) -> String {
                let digits = String(v, radix: 16)
                return String(repeating: "0", count: 16 - digits.count) + digits
            }
            return hex(high) + hex(low)
        }
    }

    /// The layout of persisted indexes; changed whenever the tables or the builder change what
    /// they hold for the same zones.
    public static let persistedFormat: UInt64 = 1
    private static let magic: UInt64 = 0x3130_5844_4E52_4443  // "CDRNDX01"
    private static let headerWords = 20

    /// The fingerprint of what `builder.build(set)` makes.
    public static func fingerprint(of set: ZoneSet, builder: Builder = Builder()) -> Fingerprint {
        var h = WordHash(seed: persistedFormat)
        h.add(UInt64(builder.maximumLeafEdges))
        h.add(builder.longEdgeRatio.bitPattern)
        h.add(builder.minimumShortEdgeFraction.bitPattern)
        h.add(UInt64(builder.maximumDepth))
        h.add(builder.rootCellsPerEdge.bitPattern)
        h.add(UInt64(builder.maximumRootCoverPerEdge))
        h.add(builder.blobWindowScale.bitPattern)
        h.add(UInt64(set.entries.count))
        func add(_ geometry: MultiPolygon) {
            h.add(UInt64(geometry.polygons.count))
            for polygon in geometry.polygons {
                h.add(UInt64(polygon.holes.count))
                for ring in [polygon.exterior] + polygon.holes {
                    h.add(UInt64(ring.coordinates.count))
                    ring.coordinates.withUnsafeBytes { h.add($0) }
                }
            }
        }
        for entry in set.entries {
            var id = entry.zone.id
            id.withUTF8 { bytes in
                h.add(UInt64(bytes.count))
                var word: UInt64 = 0
                for (k, b) in bytes.enumerated() {
                    word |= UInt64(b) << (8 * UInt64(k % 8))
                    if k % 8 == 7 {
                        h.add(word)
                        word = 0
                    }
                }
                h.add(word)
            }
            add(entry.zone.geometry)
            let sameApproach = entry.approach == entry.zone.geometry
            h.add(sameApproach ? 1 : 0)
            if !sameApproach { add(entry.approach) }
        }
        let (high, low) = h.value
        return Fingerprint(high: high, low: low)
    }

    /// Writes the index's tables, as `restore` reads them, through `write` (in pieces, in
    /// order): a header naming `fingerprint`, the tables, and a hash of all of it. The leaf
    /// table's unused windows are left out. Native byte order: a persisted index is a cache
    /// for the machine that made it.
    public func persist(fingerprint: Fingerprint, _ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var hash = WordHash(seed: Self.magic)
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            hash.add(bytes)
            try write(bytes)
        }
        var header: [UInt64] = [
            Self.magic, Self.persistedFormat, fingerprint.high, fingerprint.low, UInt64(columns), UInt64(rows),
            minX.bitPattern, minY.bitPattern, maxX.bitPattern, maxY.bitPattern,
            UInt64(root.count), UInt64(internals.count), UInt64(blob.count), UInt64(blobRanges.count), UInt64(vertices.count),
            UInt64(statistics.leaves), UInt64(statistics.entries), UInt64(statistics.edgeCopies), UInt64(blobWords),
            UInt64(zoneIDs.count),
        ]
        for range in blobRanges { header += [UInt64(range.lowerBound), UInt64(range.upperBound)] }
        // The header's own hash, so that a reader trusts its sizes before it allocates.
        var own = WordHash(seed: ~Self.magic)
        header.withUnsafeBytes { own.add($0) }
        header += [own.value.0, own.value.1]
        try header.withUnsafeBytes { try emit($0) }
        // The root table padded to whole words.
        var rootWords = [UInt64](repeating: 0, count: (root.count + 1) / 2)
        rootWords.withUnsafeMutableBytes { to in
            UnsafeRawBufferPointer(root.buffer).withMemoryRebound(to: UInt8.self) { from in
                if let a = to.baseAddress, let b = from.baseAddress { a.copyMemory(from: b, byteCount: from.count) }
            }
        }
        try rootWords.withUnsafeBytes { try emit($0) }
        try emit(UnsafeRawBufferPointer(internals.buffer))
        for range in blobRanges { try emit(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(blob.buffer)[range.lowerBound * 8..<range.upperBound * 8])) }
        try emit(UnsafeRawBufferPointer(vertices.buffer))
        let (high, low) = hash.value
        try [high, low].withUnsafeBytes { try write($0) }
    }

    /// The index `persist` wrote for `set` (whose ids it takes), `byteCount` bytes read through
    /// `read`, which fills the buffer it is given with the next bytes or returns false. Nil
    /// when the bytes are not such an index for `fingerprint` (another format, another
    /// fingerprint, a header whose hash or sizes do not match `byteCount`, a hash over all of
    /// it that does not match, or too few bytes): the caller then builds. Nothing is allocated
    /// for the tables before the header's hash and sizes are checked.
    public static func restore(
        for set: ZoneSet, fingerprint: Fingerprint, byteCount: Int, read: (UnsafeMutableRawBufferPointer) -> Bool
    ) -> ZoneIndex? {
        var hash = WordHash(seed: magic)
        func take(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
            guard buffer.isEmpty || read(buffer) else { return false }
            hash.add(UnsafeRawBufferPointer(buffer))
            return true
        }
        var header = [UInt64](repeating: 0, count: headerWords)
        guard header.withUnsafeMutableBytes(take), header[0] == magic, header[1] == persistedFormat, header[2] == fingerprint.high,
            header[3] == fingerprint.low
        else { return nil }
        // Sizes (not the bounds' bits, words 6–9): each below 2^40, so no product below overflows.
        let limit: UInt64 = 1 << 40
        guard header[4...5].allSatisfy({ $0 < limit }), header[10...19].allSatisfy({ $0 < limit }), Int(header[19]) == set.entries.count
        else { return nil }
        let columns = Int(header[4]), rows = Int(header[5])
        let rootCount = Int(header[10]), internalCount = Int(header[11]), blobCount = Int(header[12])
        let rangeCount = Int(header[13]), vertexCount = Int(header[14])
        guard columns >= 1, rows >= 1, columns * rows == rootCount, internalCount >= 1, rangeCount <= 1 << 16 else { return nil }
        var rangeWords = [UInt64](repeating: 0, count: 2 * rangeCount + 2)
        guard rangeWords.withUnsafeMutableBytes(take) else { return nil }
        var own = WordHash(seed: ~magic)
        header.withUnsafeBytes { own.add($0) }
        rangeWords[0..<2 * rangeCount].withUnsafeBytes { own.add($0) }
        guard rangeWords[2 * rangeCount] == own.value.0, rangeWords[2 * rangeCount + 1] == own.value.1 else { return nil }
        var ranges: [Range<Int>] = []
        var end = 0
        for k in 0..<rangeCount {
            let lower = Int(rangeWords[2 * k]), upper = Int(rangeWords[2 * k + 1])
            guard lower >= end, upper >= lower, upper <= blobCount else { return nil }
            ranges.append(lower..<upper)
            end = upper
        }
        // The leaf table's address space is what a leaf reference can name; the rest must be
        // exactly the bytes there are.
        let blobStored = ranges.reduce(0) { $0 + $1.count }
        let expected = 8 * (headerWords + 2 * rangeCount + 2) + 8 * ((rootCount + 1) / 2) + internalCount * MemoryLayout<InternalNode>.stride
            + 8 * blobStored + 8 * vertexCount + 16
        guard blobCount < Int(leafBit), expected == byteCount else { return nil }
        var ok = true
        var rootWords = [UInt64](repeating: 0, count: (rootCount + 1) / 2)
        ok = rootWords.withUnsafeMutableBytes(take)
        let root = FrozenBuffer<UInt32>(count: rootCount) { out in
            guard ok else { return }
            rootWords.withUnsafeBytes { from in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: from[0..<rootCount * 4]))
            }
        }
        rootWords = []
        let internals = FrozenBuffer<InternalNode>(count: internalCount) { out in
            if ok { ok = take(UnsafeMutableRawBufferPointer(out)) }
        }
        let blob = FrozenBuffer<UInt64>(count: blobCount) { out in
            let bytes = UnsafeMutableRawBufferPointer(out)
            for range in ranges where ok { ok = take(UnsafeMutableRawBufferPointer(rebasing: bytes[range.lowerBound * 8..<range.upperBound * 8])) }
        }
        let vertices = FrozenBuffer<Double>(count: vertexCount) { out in
            if ok { ok = take(UnsafeMutableRawBufferPointer(out)) }
        }
        var trailer: [UInt64] = [0, 0]
        guard ok, trailer.withUnsafeMutableBytes({ read($0) }) else { return nil }
        let (high, low) = hash.value
        guard trailer == [high, low] else { return nil }
        // References must stay inside their tables, so a query never reads outside them.
        let leafLimit = UInt32(clamping: blobCount)
        func valid(_ ref: UInt32) -> Bool {
            ref & leafBit != 0 ? ref & ~leafBit < leafLimit : Int(ref) < internalCount
        }
        guard root.buffer.allSatisfy(valid), internals.buffer.allSatisfy({ valid($0.children.0) && valid($0.children.1) && valid($0.children.2) && valid($0.children.3) })
        else { return nil }
        return ZoneIndex(
            zoneIDs: set.entries.map(\.zone.id), setName: set.name, version: set.version,
            bounds: BoundingBox(
                minLongitude: Double(bitPattern: header[6]), minLatitude: Double(bitPattern: header[7]),
                maxLongitude: Double(bitPattern: header[8]), maxLatitude: Double(bitPattern: header[9])),
            columns: columns, rows: rows, root: root, internals: internals, blob: blob, blobWords: Int(header[18]),
            blobRanges: ranges, vertices: vertices, leafCount: Int(header[15]), entryCount: Int(header[16]), edgeCount: Int(header[17]))
    }
}
