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

    /// Adds one word, to the lane of its position.
    public mutating func add(_ x: UInt64) {
        switch count & 3 {
        case 0: lanes.0 = Self.round(lanes.0, x)
        case 1: lanes.1 = Self.round(lanes.1, x)
        case 2: lanes.2 = Self.round(lanes.2, x)
        default: lanes.3 = Self.round(lanes.3, x)
        }
        count &+= 1
    }

    /// Adds `words`, four at a time across the lanes. Word k of everything added goes to lane
    /// k mod 4, so the hash does not depend on how the words are split into calls.
    public mutating func add(_ words: UnsafeBufferPointer<UInt64>) {
        guard let p = words.baseAddress else { return }
        var i = 0
        while i < words.count && count & 3 != 0 {
            add(p[i])
            i += 1
        }
        var (a, b, c, d) = lanes
        let start = i, whole = i + (words.count - i) / 4 * 4
        while i < whole {
            a = Self.round(a, p[i])
            b = Self.round(b, p[i + 1])
            c = Self.round(c, p[i + 2])
            d = Self.round(d, p[i + 3])
            i += 4
        }
        lanes = (a, b, c, d)
        count &+= UInt64(whole - start)
        while i < words.count {
            add(p[i])
            i += 1
        }
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
    /// they hold for the same zones. 2: the leaf table compacted (one range, references
    /// relocated), so that a file can be used where it is mapped.
    public static let persistedFormat: UInt64 = 2
    private static let magic: UInt64 = 0x3130_5844_4E52_4443  // "CDRNDX01"
    /// Header words: 18 fields (`persist`) and their own 2-word hash.
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
    /// table is written compact (the unused ends of the builder's windows left out) and the
    /// references into it relocated to match, so every table of the file can be used in place.
    /// Every piece is a whole number of 8-byte words. Native byte order: a persisted index is
    /// a cache for the machine that made it.
    public func persist(fingerprint: Fingerprint, _ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var hash = WordHash(seed: Self.magic)
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            hash.add(bytes)
            try write(bytes)
        }
        // Where each window's words go in the compact table.
        var compactStart: [Int] = []
        var stored = 0
        for range in blobRanges {
            compactStart.append(stored)
            stored += range.count
        }
        let ranges = blobRanges
        func relocate(_ ref: UInt32) -> UInt32 {
            guard ref & Self.leafBit != 0 else { return ref }
            let w = Int(ref & ~Self.leafBit)
            for (k, range) in ranges.enumerated() where range.contains(w) {
                return Self.leafBit | UInt32(truncatingIfNeeded: w - range.lowerBound + compactStart[k])
            }
            preconditionFailure("leaf reference \(w) outside the leaf table's ranges")
        }
        var header: [UInt64] = [
            Self.magic, Self.persistedFormat, fingerprint.high, fingerprint.low, UInt64(columns), UInt64(rows),
            minX.bitPattern, minY.bitPattern, maxX.bitPattern, maxY.bitPattern,
            UInt64(root.count), UInt64(internals.count), UInt64(stored), UInt64(vertices.count),
            UInt64(statistics.leaves), UInt64(statistics.entries), UInt64(statistics.edgeCopies), UInt64(zoneIDs.count),
        ]
        // The header's own hash, so that a reader trusts its sizes before it uses them.
        var own = WordHash(seed: ~Self.magic)
        header.withUnsafeBytes { own.add($0) }
        header += [own.value.0, own.value.1]
        try header.withUnsafeBytes { try emit($0) }
        // The root table, padded to whole words.
        var rootWords = [UInt64](repeating: 0, count: (root.count + 1) / 2)
        rootWords.withUnsafeMutableBytes { to in
            let cells = to.bindMemory(to: UInt32.self)
            for (i, ref) in root.buffer.enumerated() { cells[i] = relocate(ref) }
        }
        try rootWords.withUnsafeBytes { try emit($0) }
        var nodes = Array(internals.buffer)
        for i in nodes.indices {
            let c = nodes[i].children
            nodes[i].children = (relocate(c.0), relocate(c.1), relocate(c.2), relocate(c.3))
        }
        try nodes.withUnsafeBytes { try emit($0) }
        for range in blobRanges { try emit(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(blob.buffer)[range.lowerBound * 8..<range.upperBound * 8])) }
        try emit(UnsafeRawBufferPointer(vertices.buffer))
        let (high, low) = hash.value
        try [high, low].withUnsafeBytes { try write($0) }
    }

    /// The index `persist` wrote for `set` (whose ids it takes), used in place: `bytes` (8-byte
    /// aligned, for instance a read-only mapping of the file) must stay unchanged while `owner`
    /// lives, and the index keeps `owner`. Nil when the bytes are not such an index for
    /// `fingerprint` (another format, another fingerprint, a header whose hash or sizes do not
    /// match the byte count, a hash over all of it that does not match, a reference outside its
    /// table): the caller then builds.
    public static func restore(for set: ZoneSet, fingerprint: Fingerprint, bytes: UnsafeRawBufferPointer, owner: AnyObject) -> ZoneIndex? {
        guard let base = bytes.baseAddress, Int(bitPattern: base) % 8 == 0, bytes.count % 8 == 0, bytes.count >= 8 * (headerWords + 2)
        else { return nil }
        func word(_ k: Int) -> UInt64 { bytes.load(fromByteOffset: 8 * k, as: UInt64.self) }
        guard word(0) == magic, word(1) == persistedFormat, word(2) == fingerprint.high, word(3) == fingerprint.low else { return nil }
        var own = WordHash(seed: ~magic)
        own.add(UnsafeRawBufferPointer(rebasing: bytes[0..<8 * (headerWords - 2)]))
        guard word(headerWords - 2) == own.value.0, word(headerWords - 1) == own.value.1 else { return nil }
        // Sizes (not the bounds' bits, words 6–9): each below 2^40, so no sum or product below
        // overflows (columns × rows is checked).
        let limit: UInt64 = 1 << 40
        guard [4, 5, 10, 11, 12, 13, 14, 15, 16, 17].allSatisfy({ word($0) < limit }), Int(word(17)) == set.entries.count else { return nil }
        let columns = Int(word(4)), rows = Int(word(5))
        let rootCount = Int(word(10)), internalCount = Int(word(11)), blobCount = Int(word(12)), vertexCount = Int(word(13))
        let nodeSize = MemoryLayout<InternalNode>.stride
        let cells = columns.multipliedReportingOverflow(by: rows)
        guard columns >= 1, rows >= 1, !cells.overflow, cells.partialValue == rootCount, internalCount >= 1, blobCount < Int(leafBit) else { return nil }
        let rootAt = 8 * headerWords
        let internalsAt = rootAt + 8 * ((rootCount + 1) / 2)
        let blobAt = internalsAt + internalCount * nodeSize
        let verticesAt = blobAt + 8 * blobCount
        let trailerAt = verticesAt + 8 * vertexCount
        guard nodeSize % 8 == 0, trailerAt + 16 == bytes.count else { return nil }
        var hash = WordHash(seed: magic)
        hash.add(UnsafeRawBufferPointer(rebasing: bytes[0..<trailerAt]))
        guard word(trailerAt / 8) == hash.value.0, word(trailerAt / 8 + 1) == hash.value.1 else { return nil }
        let root = FrozenBuffer<UInt32>(viewing: base + rootAt, count: rootCount, owner: owner)
        let internals = FrozenBuffer<InternalNode>(viewing: base + internalsAt, count: internalCount, owner: owner)
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
                minLongitude: Double(bitPattern: word(6)), minLatitude: Double(bitPattern: word(7)),
                maxLongitude: Double(bitPattern: word(8)), maxLatitude: Double(bitPattern: word(9))),
            columns: columns, rows: rows, root: root, internals: internals,
            blob: FrozenBuffer(viewing: base + blobAt, count: blobCount, owner: owner),
            vertices: FrozenBuffer(viewing: base + verticesAt, count: vertexCount, owner: owner),
            leafCount: Int(word(14)), entryCount: Int(word(15)), edgeCount: Int(word(16)))
    }

    /// The same, the `byteCount` bytes read through `read` (which fills the buffer it is given
    /// with the next bytes, or returns false) into memory the index then owns.
    public static func restore(
        for set: ZoneSet, fingerprint: Fingerprint, byteCount: Int, read: (UnsafeMutableRawBufferPointer) -> Bool
    ) -> ZoneIndex? {
        guard byteCount >= 8 * (headerWords + 2), byteCount % 8 == 0, byteCount < 1 << 42 else { return nil }
        var ok = false
        let words = FrozenBuffer<UInt64>(count: byteCount / 8) { out in ok = read(UnsafeMutableRawBufferPointer(out)) }
        guard ok else { return nil }
        return restore(for: set, fingerprint: fingerprint, bytes: UnsafeRawBufferPointer(words.buffer), owner: words)
    }
}
