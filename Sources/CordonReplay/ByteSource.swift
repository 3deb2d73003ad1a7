#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Reads a file front to back in blocks, decompressing it on the way when it is gzip
/// (zlib's `gzread` passes other files through unchanged). With `mapped`, a plain file is
/// mapped read-only instead (`mapping`), so that its blocks are read in place, with neither
/// the kernel's copy into a buffer nor a second one out of it; the caller then hands back
/// the pages it is done with (`discard(upTo:)`), so that memory does not grow with the file.
///
/// Not thread-safe: one reader per file, owned by the pass that reads it. The file is closed
/// (and unmapped) by `close()` or when the reader is released; the mapping's bytes must not be
/// used after that. A mapped file cut short by another program while it is read would fault
/// the process, as any mapped file would.
final class ByteSource {
    let path: String
    private var file: gzFile?
    private var scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
    /// Size of the file on disk (compressed bytes for a `.gz`), for progress.
    let diskBytes: Int64
    /// The whole file, when mapped.
    private(set) var mapping: UnsafeBufferPointer<UInt8>?
    /// Where the pages not handed back yet start (a multiple of the page size).
    private var kept = 0
    private let pageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))

    init(path: String, mapped: Bool = false) throws(ReplayError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw .input(file: path, message: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .input(file: path, message: "not a regular file") }
        diskBytes = Int64(info.st_size)
        if mapped, info.st_size > 0, let m = Self.map(path, size: Int(info.st_size)) {
            mapping = m
            return
        }
        guard let f = gzopen(path, "rb") else { throw .input(file: path, message: String(cString: strerror(errno))) }
        gzbuffer(f, 1 << 18)
        file = f
    }

    /// The file mapped read-only, or nil when it is gzip (its first two bytes) or cannot be
    /// mapped (the caller reads it instead).
    private static func map(_ path: String, size: Int) -> UnsafeBufferPointer<UInt8>? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        guard pread(fd, &magic, 2, 0) >= 0, !(magic.0 == 0x1F && magic.1 == 0x8B) else { return nil }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        return UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: size)
    }

    deinit {
        close()
        scratch.deallocate()
    }

    func close() {
        if let file { gzclose(file) }
        file = nil
        if let mapping, let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
        mapping = nil
    }

    /// Hands back the mapping's whole pages before `offset` (the reader is done with those
    /// bytes): their page-table entries go, so they no longer count as the process's memory
    /// (the kernel's page cache keeps them).
    func discard(upTo offset: Int) {
        guard let mapping, let base = mapping.baseAddress else { return }
        let end = min(offset, mapping.count) / pageSize * pageSize
        guard end > kept else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + kept), end - kept, MADV_DONTNEED)
        kept = end
    }

    /// Asks the kernel to map `range` of the mapping now, in one call, rather than page by
    /// page as the scan first touches them (Linux 5.14 on; elsewhere nothing happens).
    func prefault(_ range: Range<Int>) {
        guard let mapping, let base = mapping.baseAddress, !range.isEmpty else { return }
        let start = range.lowerBound / pageSize * pageSize
        let end = min(mapping.count, range.upperBound)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, 22)  // MADV_POPULATE_READ
    }

    /// Compressed bytes consumed so far (plain files: bytes read).
    var diskOffset: Int64 {
        guard let file else { return diskBytes }
        return Int64(gzoffset(file))
    }

    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end of the file).
    func read(into buffer: inout [UInt8], count: Int) throws(ReplayError) -> Int {
        guard let file else { return 0 }
        if scratch.count < count {
            scratch.deallocate()
            scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
        }
        let n = gzread(file, scratch.baseAddress, UInt32(count))
        if n < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
            throw .input(file: path, message: "cannot read: \(message)")
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<Int(n)]))
        return Int(n)
    }
}

/// An output file written under a temporary name in its directory and renamed into place by
/// `commit()`, so a crash never leaves a half-written file under the final name.
///
/// Not thread-safe; owned by the pass that writes it. Released without `commit()`, it removes
/// the temporary file.
final class AtomicFile {
    let path: String
    let temporaryPath: String
    private var fd: Int32
    /// Bytes not written yet: `pending[0..<pendingCount]`, at most `capacity`. A plain buffer,
    /// so that a short write (the replay makes one per dropped row) is a copy, without the
    /// generic append of an array stored in a class.
    private let pending: UnsafeMutablePointer<UInt8>
    private var pendingCount = 0
    private static let capacity = 1 << 20
    private(set) var bytesWritten: Int64 = 0

    init(path: String) throws(ReplayError) {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = directory + "/." + name + ".partial-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .output(file: path, message: String(cString: strerror(errno))) }
        pending = .allocate(capacity: Self.capacity)
    }

    deinit {
        pending.deallocate()
        if fd >= 0 {
            _ = Glibc.close(fd)
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws(ReplayError) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if pendingCount + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity { return try writeAll(bytes) }
        (pending + pendingCount).update(from: source, count: bytes.count)
        pendingCount += bytes.count
    }

    func write(_ bytes: [UInt8]) throws(ReplayError) {
        try bytes.withUnsafeBufferPointer { b throws(ReplayError) in try write(b) }
    }

    func write(_ text: String) throws(ReplayError) {
        try write(Array(text.utf8))
    }

    func flush() throws(ReplayError) {
        try writeAll(UnsafeBufferPointer(start: pending, count: pendingCount))
        pendingCount = 0
    }

    private func writeAll(_ bytes: UnsafeBufferPointer<UInt8>) throws(ReplayError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress.unsafelyUnwrapped + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .output(file: path, message: String(cString: strerror(errno)))
            }
            done += n
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws(ReplayError) {
        try flush()
        guard fsync(fd) == 0, Glibc.close(fd) == 0 else {
            throw .output(file: path, message: String(cString: strerror(errno)))
        }
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .output(file: path, message: message)
        }
    }
}
