extension String {
    /// `String(validating: bytes, as: UTF8.self)` without its generic path, which on Linux costs
    /// about 10,000 instructions a call in metadata lookups (loading 10,000 stored zones spent a
    /// third of its time there): ASCII is decoded as it is; other bytes are decoded, repairing
    /// ill-formed sequences with U+FFFD, and are valid exactly when the decoded bytes equal them
    /// (a repair always changes the bytes at the first ill-formed sequence, since U+FFFD's own
    /// encoding is well formed). Nil for bytes that are not UTF-8.
    @inlinable
    public init?(validUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard bytes.contains(where: { $0 >= 0x80 }) else {
            self = decoded
            return
        }
        guard decoded.utf8.elementsEqual(bytes) else { return nil }
        self = decoded
    }
}
