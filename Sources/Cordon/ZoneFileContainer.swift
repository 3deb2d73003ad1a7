import CZlib
public import CordonFormats

/// Compressed zone files: gzip (`zones.geojson.gz`, any format inside) and KMZ (the ZIP archive
/// Google Earth saves: its `doc.kml`, else its first `.kml` entry).
///
/// Stateless; `Sendable`. Everything is inflated in memory with a hard cap (the file-size
/// limit applies to what comes out, so a small bomb is refused as too large, not inflated);
/// damaged, encrypted or ZIP64 archives are refused with the reason.
public enum ZoneFileContainer {
    /// Whether `bytes` start like a gzip stream or a ZIP archive.
    public static func isContainer(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x1F, 0x8B]) || bytes.starts(with: [0x50, 0x4B, 0x03, 0x04])
    }

    /// The contents of a container: the bytes, the name to judge their format by, and the
    /// name diagnostics use (`FILE` for gzip, `FILE/ENTRY` for an archive).
    public static func open(
        _ bytes: [UInt8], name: String, limit: Int
    ) throws(FormatError) -> (bytes: [UInt8], formatName: String, file: String) {
        if bytes.starts(with: [0x1F, 0x8B]) {
            let inner = name.lowercased().hasSuffix(".gz") ? String(name.dropLast(3)) : name
            return (try inflate(bytes[...], raw: false, limit: limit, file: name), inner, name)
        }
        let (entry, data) = try kmlEntry(bytes, file: name, limit: limit)
        return (data, entry, name + "/" + entry)
    }

    // MARK: - ZIP

    private static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }

    private static func kmlEntry(_ b: [UInt8], file: String, limit: Int) throws(FormatError) -> (String, [UInt8]) {
        func bad(_ why: String) -> FormatError { .notZones(file: file, message: "a ZIP (KMZ) archive that cannot be read: \(why)") }
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535.
        guard b.count >= 22 else { throw bad("it is truncated") }
        var eocd = -1
        var k = b.count - 22
        while k >= max(0, b.count - 22 - 65_535) {
            if b[k] == 0x50, b[k + 1] == 0x4B, b[k + 2] == 0x05, b[k + 3] == 0x06 {
                eocd = k
                break
            }
            k -= 1
        }
        guard eocd >= 0 else { throw bad("no central directory (truncated?)") }
        let entries = u16(b, eocd + 10), directory = u32(b, eocd + 16)
        if entries == 0xFFFF || directory == 0xFFFF_FFFF { throw bad("ZIP64 archives are not read") }
        var p = directory
        var chosen: (name: String, method: Int, size: Int, packed: Int, local: Int)?
        for _ in 0..<entries {
            guard p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { throw bad("a damaged central directory") }
            let flags = u16(b, p + 8), method = u16(b, p + 10)
            let packed = u32(b, p + 20), size = u32(b, p + 24)
            let n = u16(b, p + 28), extra = u16(b, p + 30), comment = u16(b, p + 32), local = u32(b, p + 42)
            guard p + 46 + n <= b.count else { throw bad("a damaged central directory") }
            let entryName = String(decoding: b[(p + 46)..<(p + 46 + n)], as: UTF8.self)
            if entryName.lowercased().hasSuffix(".kml"), chosen == nil || entryName.lowercased() == "doc.kml" {
                if flags & 1 != 0 { throw bad("\(entryName) is encrypted") }
                chosen = (entryName, method, size, packed, local)
            }
            p += 46 + n + extra + comment
        }
        guard let c = chosen else { throw .notZones(file: file, message: "the archive holds no .kml file") }
        guard c.size <= limit else { throw .tooLarge(file: file + "/" + c.name, bytes: c.size, limit: limit) }
        guard c.local + 30 <= b.count, u32(b, c.local) == 0x0403_4B50 else { throw bad("a damaged entry \(c.name)") }
        let start = c.local + 30 + u16(b, c.local + 26) + u16(b, c.local + 28)
        guard start <= b.count, c.packed <= b.count - start else { throw bad("\(c.name) is truncated") }
        let data = b[start..<(start + c.packed)]
        switch c.method {
        case 0: return (c.name, Array(data))
        case 8: return (c.name, try inflate(data, raw: true, limit: limit, file: file + "/" + c.name))
        default: throw bad("\(c.name) uses compression method \(c.method) (only stored and deflate are read)")
        }
    }

    // MARK: - zlib

    /// Inflates gzip (every member, as `gzip -d` does) or a raw deflate stream, refusing more
    /// than `limit` bytes of output.
    private static func inflate(_ input: ArraySlice<UInt8>, raw: Bool, limit: Int, file: String) throws(FormatError) -> [UInt8] {
        var out: [UInt8] = []
        var stream = z_stream()
        guard inflateInit2_(&stream, raw ? -15 : 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .notZones(file: file, message: "cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var failure: FormatError?
        input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = UInt32(src.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = UInt32(dst.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                out.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if out.count > limit {
                    failure = .tooLarge(file: file + " (decompressed)", bytes: out.count, limit: limit)
                    return
                }
                if status == Z_STREAM_END {
                    // Another gzip member may follow.
                    if raw || stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { failure = .notZones(file: file, message: "cannot restart zlib"); return }
                    continue
                }
                if status == Z_OK { continue }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    failure = .notZones(file: file, message: "the compressed data is truncated")
                    return
                }
                let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                failure = .notZones(file: file, message: "the compressed data is damaged (\(reason))")
                return
            }
        }
        if let failure { throw failure }
        return out
    }
}
