#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable contiguous copy of an array, for the index's large tables. On Linux the memory
/// is mapped and advised for transparent huge pages (2 MiB), which removes most TLB misses from
/// the random accesses of point queries; elsewhere it is an ordinary allocation. Pages are
/// faulted in as `fill` writes them (not populated up front), so a builder that frees its
/// working copies while filling keeps its peak memory down.
///
/// A buffer can also be a view of memory someone else owns (a restored index file, mapped
/// read-only): it then keeps that owner alive and frees nothing.
///
/// `@unchecked Sendable` is safe: the memory is written once, in `init`, before the object is
/// published, and only read afterwards; the object owns the mapping and unmaps it in `deinit`
/// (a view's owner must likewise never write the memory).
@usableFromInline
final class FrozenBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let buffer: UnsafeBufferPointer<Element>
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    /// What keeps a view's memory alive; nil when this object owns its memory.
    private let owner: AnyObject?

    convenience init(_ array: [Element]) {
        self.init(count: array.count) { target in
            array.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = target.baseAddress { to.initialize(from: from, count: source.count) }
            }
        }
    }

    /// Allocates `count` elements and lets `fill` initialize every one of them.
    init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        #if os(Linux)
        let huge = 2 << 20
        let length = (bytes + huge - 1) / huge * huge
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            if bytes >= huge { _ = madvise(mapped, length, 14) }  // MADV_HUGEPAGE
            base = mapped
            mappedBytes = length
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            mappedBytes = 0
        }
        #else
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        mappedBytes = 0
        #endif
        owner = nil
        let typed = base.bindMemory(to: Element.self, capacity: count)
        fill(UnsafeMutableBufferPointer(start: typed, count: count))
        buffer = UnsafeBufferPointer(start: typed, count: count)
    }

    /// A view of `count` elements at `start` (aligned for `Element`), memory that `owner` keeps
    /// alive and never writes.
    init(viewing start: UnsafeRawPointer, count: Int, owner: AnyObject) {
        base = UnsafeMutableRawPointer(mutating: start)
        mappedBytes = 0
        self.owner = owner
        buffer = UnsafeBufferPointer(start: start.bindMemory(to: Element.self, capacity: count), count: count)
    }

    deinit {
        if owner != nil { return }
        #if os(Linux)
        if mappedBytes > 0 {
            munmap(base, mappedBytes)
            return
        }
        #endif
        base.deallocate()
    }

    @inlinable var count: Int { buffer.count }

    /// Hands back to the system the whole pages of `table[range]`, which `fill` never uses (a
    /// reserved window's unused end): they read as zeros afterwards and cost no memory. Only
    /// for the buffer passed to `fill`. A no-op where the memory is not mapped page by page.
    static func discard(_ table: UnsafeMutableBufferPointer<Element>, _ range: Range<Int>) {
        #if os(Linux)
        guard let start = table.baseAddress, !range.isEmpty else { return }
        let page = 4096
        let lower = Int(bitPattern: UnsafeMutableRawPointer(start + range.lowerBound))
        let upper = Int(bitPattern: UnsafeMutableRawPointer(start + range.upperBound))
        let from = (lower + page - 1) / page * page, to = upper / page * page
        if from < to, let address = UnsafeMutableRawPointer(bitPattern: from) {
            _ = madvise(address, to - from, 4)  // MADV_DONTNEED
        }
        #endif
    }
}
