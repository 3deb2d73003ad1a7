#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte searches the trip readers share (memchr where it helps).
enum Bytes {
    /// Index of the first `byte` in `b[from..<to]`, or nil.
    static func find(_ b: UnsafeBufferPointer<UInt8>, _ byte: UInt8, from: Int, to: Int) -> Int? {
        guard from < to, let base = b.baseAddress, let p = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// Index of the first line feed at or after `from`, or nil.
    static func lineEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? { find(b, 10, from: from, to: b.count) }

    /// Index of the last line feed of `b`, or nil.
    static func lastNewline(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var k = b.count - 1
        while k >= 0 {
            if b[k] == 10 { return k }
            k -= 1
        }
        return nil
    }

    /// Line feeds in `b[from..<to]`.
    static func newlines(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var k = from
        while let p = find(b, 10, from: k, to: to) {
            count += 1
            k = p + 1
        }
        return count
    }

    /// The length of the longest prefix of whole lines, and a line boundary near its middle.
    static func completeLines(_ b: UnsafeBufferPointer<UInt8>) -> (length: Int, middle: Int) {
        guard let p = lastNewline(b) else { return (0, 0) }
        let length = p + 1
        let middle = find(b, 10, from: length / 2, to: length).map { $0 + 1 } ?? length
        return (length, middle)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return String(s)
    }
}
