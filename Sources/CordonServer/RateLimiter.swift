import Synchronization
import Dispatch

/// A token bucket per key (a token id): `rate` requests per second on average, `burst` at
/// once. `Sendable`: one lock around the buckets; each admission is O(1).
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    let rate: Double
    let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> UInt64

    /// `clock` returns nanoseconds (monotonic); tests pass their own.
    init(rate: Double, burst: Double, clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.rate = rate
        self.burst = burst
        self.clock = clock
    }

    /// Nil when the request may go ahead (and takes one token), else the seconds until it may.
    func admit(_ key: String) -> Double? {
        guard rate > 0 else { return nil }
        let now = clock()
        return buckets.withLock { buckets in
            var b = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double(now &- b.updated) / 1e9
            b.tokens = min(burst, b.tokens + elapsed * rate)
            b.updated = now
            defer {
                buckets[key] = b
                if buckets.count > 100_000 { buckets = buckets.filter { $0.value.tokens < burst } }
            }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return (1 - b.tokens) / rate
        }
    }
}
