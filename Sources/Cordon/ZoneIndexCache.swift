#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CordonCore
public import CordonIndex

/// Built point indexes kept on disk beside a zone database, so that a command that loads a
/// stored set maps its index instead of building it again (the shared set: a few hundredths
/// of a second to map and check 100 MB, against 0.5–0.9 s to build on two cores; the index
/// uses the mapped file in place, see `FileMapping`).
///
/// A file is named by the fingerprint of what the index is built from (`ZoneIndex.fingerprint`:
/// the zones' ids and every coordinate, the builder's parameters, the format), so a changed set
/// never finds a stale index, and a set imported again unchanged finds its old one. A file that
/// is not a complete index for that fingerprint (truncated, damaged, another format) fails its
/// hash and is rebuilt. Files are written under a temporary name and renamed; the least recently
/// used beyond `keep` are removed. Writing is best effort: a read-only directory only costs the
/// build. Native byte order (a cache for the machine that wrote it).
///
/// A value; `Sendable`. Processes may share a directory: each writes its own temporary file, and
/// a rename replaces a file whole.
public struct ZoneIndexCache: Sendable {
    public let directory: String
    /// How many index files the directory keeps.
    public var keep = 4

    public init(directory: String) { self.directory = directory }

    /// The cache of the database file at `path`: the directory `path.index-cache`.
    public init(database path: String) { self.init(directory: path + ".index-cache") }

    /// The index of `set`: read from the cache when a valid one is there (`cached`), else built
    /// with `builder` and stored.
    public func index(for set: ZoneSet, builder: ZoneIndex.Builder = ZoneIndex.Builder()) -> (index: ZoneIndex, cached: Bool) {
        let fingerprint = ZoneIndex.fingerprint(of: set, builder: builder)
        if let index = load(set, fingerprint) { return (index, true) }
        let index = builder.build(set)
        store(index, fingerprint)
        return (index, false)
    }

    func path(_ fingerprint: ZoneIndex.Fingerprint) -> String { directory + "/" + fingerprint.description + ".cdx" }

    func load(_ set: ZoneSet, _ fingerprint: ZoneIndex.Fingerprint) -> ZoneIndex? {
        let file = path(fingerprint)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
        let index: ZoneIndex?
        if let mapping = FileMapping(fd: fd, length: Int(info.st_size)) {
            index = ZoneIndex.restore(for: set, fingerprint: fingerprint, bytes: mapping.bytes, owner: mapping)
        } else {
            index = ZoneIndex.restore(for: set, fingerprint: fingerprint, byteCount: Int(info.st_size)) { buffer in
                guard let base = buffer.baseAddress else { return true }
                var done = 0
                while done < buffer.count {
                    let n = read(fd, base + done, buffer.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return false }
                    done += n
                }
                return true
            }
        }
        if index != nil { _ = utime(file, nil) }  // recently used: pruned last
        return index
    }

    func store(_ index: ZoneIndex, _ fingerprint: ZoneIndex.Fingerprint) {
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else { return }
        let file = path(fingerprint)
        let temporary = directory + "/." + fingerprint.description + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        var ok = true
        index.persist(fingerprint: fingerprint) { bytes in
            guard ok, let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let n = write(fd, base + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    ok = false
                    return
                }
                done += n
            }
        }
        if close(fd) != 0 { ok = false }
        guard ok, rename(temporary, file) == 0 else {
            unlink(temporary)
            return
        }
        prune(keeping: file)
    }

    /// Removes the least recently used index files beyond `keep`; `just`, the file just
    /// stored, counts as the most recent whatever its time says (two files touched within the
    /// clock's granularity have equal times), and ties otherwise go by name, so what is pruned
    /// does not depend on the order the directory lists its files in.
    func prune(keeping just: String? = nil) {
        guard let dir = opendir(directory) else { return }
        var files: [(path: String, used: Int)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".cdx") else { continue }
            var info = stat()
            let file = directory + "/" + name
            guard stat(file, &info) == 0 else { continue }
            #if os(Linux)
            let time = info.st_mtim
            #else
            let time = info.st_mtimespec
            #endif
            files.append((file, Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)))
        }
        closedir(dir)
        guard files.count > keep else { return }
        let order = files.sorted { a, b in
            if (a.path == just) != (b.path == just) { return a.path == just }
            return a.used != b.used ? a.used > b.used : a.path < b.path
        }
        for old in order.dropFirst(keep) { unlink(old.path) }
    }
}

/// A whole file mapped read-only and private (`MAP_POPULATE`: its pages, usually already in the
/// page cache, are mapped at once instead of one fault at a time), unmapped when the last
/// reference goes. A restored index uses its tables in place: no copy, and no fresh pages to
/// zero (which, for 100 MB of huge pages, cost more than the rest of loading the shared set).
///
/// `@unchecked Sendable`: the mapping is read-only and immutable for its whole life. The cache
/// replaces files by renaming and prunes them by unlinking, neither of which changes a mapped
/// file; a file truncated in place by someone else would fault its readers, as any mapped file.
final class FileMapping: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init?(fd: Int32, length: Int) {
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard length > 0, let base = mmap(nil, length, PROT_READ, flags, fd, 0), base != MAP_FAILED else { return nil }
        bytes = UnsafeRawBufferPointer(start: base, count: length)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
