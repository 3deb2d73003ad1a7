/// MurmurHash3's 64-bit finaliser: every bit of `x` reaches every bit of the result, so keys
/// that differ in a few bits of a few bytes (vehicle ids "V0001"…"V1000") still spread over a
/// table's low bits, where one multiplication leaves them bunched. A bijection; pure.
@inlinable
public func mix64(_ x: UInt64) -> UInt64 {
    var h = x
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h &*= 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 33)
}
