#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Reads a file front to back in blocks, decompressing it on the way when it is gzip
/// (zlib's `gzread` passes other files through unchanged).
///
/// Not thread-safe: one reader per file, owned by the pass that reads it. The file is closed
/// by `close()` or when the reader is released.
final class ByteSource {
    let path: String
    private var file: gzFile?
    private var scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
    /// Size of the file on disk (compressed bytes for a `.gz`), for progress.
    let diskBytes: Int64

    init(path: String) throws(ReplayError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw .input(file: path, message: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .input(file: path, message: "not a regular file") }
        diskBytes = Int64(info.st_size)
        guard let f = gzopen(path, "rb") else { throw .input(file: path, message: String(cString: strerror(errno))) }
        gzbuffer(f, 1 << 18)
        file = f
    }

    deinit {
        close()
        scratch.deallocate()
    }

    func close() {
        if let file { gzclose(file) }
        file = nil
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
