/// One build part's leaf blobs while they are written: words appended in place into a window of
/// the index's final blob table, so that the finished table needs no copy (on this machine the
/// copy's fresh pages cost 20–220 ms of a build). Should a part outgrow its window (windows are
/// sized generously from the part's edge references), its words move to an allocation of its
/// own, and the builder then copies every part into a compact table as it used to.
///
/// Not thread-safe and not a value in the usual sense: a copy aliases the same memory, so each
/// part's build state is given its own table, and the part that owns it calls `release()` once
/// it has been read. The window belongs to the table being filled; a spilled allocation belongs
/// to this table.
///
/// `@unchecked Sendable` is safe because a table is only ever used by the thread building its
/// part (the atomic counter in `finish` hands each part to one thread) and read by the merge
/// after `concurrentPerform` has returned; copies of the build state that other threads read
/// (the root distribution's) hold an empty table.
struct WordTable: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt64>?
    private(set) var capacity = 0
    private(set) var count = 0
    /// Whether `base` is this table's own allocation (it outgrew its window, or had none).
    private(set) var spilled = false

    /// A table with no window: it allocates on the first append.
    init() {}

    /// A table writing into `window[0 ..< capacity]`.
    init(window: UnsafeMutablePointer<UInt64>, capacity: Int) {
        base = window
        self.capacity = capacity
    }

    @inline(__always)
    mutating func append(_ word: UInt64) {
        if count == capacity { grow(to: count + 1) }
        base.unsafelyUnwrapped[count] = word
        count += 1
    }

    /// Appends `n` zero words (filled in later through the subscript).
    mutating func appendZeros(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
        (base.unsafelyUnwrapped + count).initialize(repeating: 0, count: n)
        count += n
    }

    subscript(i: Int) -> UInt64 {
        get {
            precondition(i >= 0 && i < count, "word outside the table")
            return base.unsafelyUnwrapped[i]
        }
        set {
            precondition(i >= 0 && i < count, "word outside the table")
            base.unsafelyUnwrapped[i] = newValue
        }
    }

    /// The words written so far.
    var words: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: base, count: count) }

    /// Frees a spilled allocation (a window belongs to its table). The table is empty afterwards.
    mutating func release() {
        if spilled { base?.deallocate() }
        self = WordTable()
    }

    private mutating func grow(to minimum: Int) {
        let newCapacity = max(minimum, capacity * 2, 1024)
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: newCapacity)
        if let base, count > 0 { fresh.initialize(from: base, count: count) }
        if spilled { base?.deallocate() }
        base = fresh
        capacity = newCapacity
        spilled = true
    }
}
