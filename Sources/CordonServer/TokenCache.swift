import CordonStore
import Dispatch
import Synchronization

/// Remembers token lookups for `lifetime` seconds, so a request does not wait on SQLite for
/// its token. A revocation (made by `cordon token revoke`, possibly in another process) takes
/// effect within `lifetime`. Unknown tokens are remembered too, so guessing does not load the
/// database.
///
/// `Sendable`: one lock around the table; the table is cleared when it grows past 100,000.
final class TokenCache: Sendable {
    struct Entry {
        var token: TokenInfo?
        var expires: UInt64
    }

    let store: ZoneStore
    let lifetime: Double
    private let entries = Mutex<[String: Entry]>([:])
    private let clock: @Sendable () -> UInt64

    init(store: ZoneStore, lifetime: Double, clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.store = store
        self.lifetime = lifetime
        self.clock = clock
    }

    /// The live token with this secret, or nil.
    /// The cached answer for `secret` while it is fresh, without touching the store:
    /// `.some(nil)` for a secret known to be invalid, nil when there is no fresh entry.
    func cached(secret: String) -> TokenInfo?? {
        let now = clock()
        guard lifetime > 0, let hit = entries.withLock({ $0[secret] }), hit.expires > now else { return nil }
        return .some(hit.token)
    }

    func token(secret: String) throws(StoreError) -> TokenInfo? {
        let now = clock()
        if lifetime > 0, let hit = entries.withLock({ $0[secret] }), hit.expires > now { return hit.token }
        let token = try store.token(secret: secret)
        guard lifetime > 0 else { return token }
        let expires = now + UInt64(lifetime * 1e9)
        entries.withLock { entries in
            if entries.count >= 100_000 { entries.removeAll(keepingCapacity: true) }
            entries[secret] = Entry(token: token, expires: expires)
        }
        return token
    }
}
