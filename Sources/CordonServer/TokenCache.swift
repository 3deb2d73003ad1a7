import CordonCore
import CordonStore
import Dispatch
import Logging
import ServiceLifecycle
import Synchronization

/// Remembers token lookups, so a request does not wait on SQLite for its token. An answer is
/// used only while it is less than `lifetime` seconds old, counting from the store read it
/// came from or from the last revocation poll that checked it (`pollRevocations`, run by
/// `TokenRevocationService` every half lifetime): a revocation (made by `cordon token revoke`,
/// possibly in another process) takes effect within `lifetime`, and while the polls run, a
/// token in steady use is never read again: one query a poll for the whole cache, where
/// expiring entries made every vehicle with its own token, sending about once a lifetime, read
/// the store (and leave the event-loop fast path) at nearly every request. Unknown tokens are
/// remembered too, for `lifetime`, so guessing does not load the database.
///
/// `Sendable`: one lock around the table. The table holds at most `capacity` entries: when it
/// is full, the entries not used again since the previous sweep go (guessed secrets, vehicles
/// gone), so the tokens in use stay; only when those alone fill three quarters of it is it
/// cleared.
final class TokenCache: Sendable {
    struct Entry {
        var token: TokenInfo?
        /// When the store read behind this entry began.
        var loaded: UInt64
        /// Polls completed before the entry was added: every later poll checked it.
        var epoch: Int
        /// The last sweep period in which the entry was used (found fresh) after the read
        /// that added it.
        var sweep: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Polls completed, and when the last one began.
        var epoch = 0
        var polled: UInt64 = 0
        /// Sweeps made (see `capacity`).
        var sweep = 0
    }

    let store: ZoneStore
    let lifetime: Double
    let capacity: Int
    private let state = Mutex(State())
    private let clock: @Sendable () -> UInt64

    init(
        store: ZoneStore, lifetime: Double, capacity: Int = 100_000,
        clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) {
        self.store = store
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    private var lifetimeNanoseconds: UInt64 { UInt64(lifetime * 1e9) }

    /// The entry for `secret` while it is fresh: known tokens checked (read or polled) within
    /// the lifetime, unknown ones read within it.
    private func fresh(_ secret: String, now: UInt64) -> Entry? {
        guard lifetime > 0 else { return nil }
        return state.withLock { s -> Entry? in
            guard let hit = s.entries[secret] else { return nil }
            let checked = hit.token != nil && s.epoch > hit.epoch ? max(hit.loaded, s.polled) : hit.loaded
            guard now &- checked < lifetimeNanoseconds else { return nil }
            if hit.sweep != s.sweep { s.entries[secret]?.sweep = s.sweep }
            return hit
        }
    }

    /// The cached answer for `secret` while it is fresh, without touching the store:
    /// `.some(nil)` for a secret known to be invalid, nil when there is no fresh entry.
    func cached(secret: String) -> TokenInfo?? {
        guard let hit = fresh(secret, now: clock()) else { return nil }
        return .some(hit.token)
    }

    /// The live token with this secret, or nil.
    func token(secret: String) throws(StoreError) -> TokenInfo? {
        let now = clock()
        if let hit = fresh(secret, now: now) { return hit.token }
        let token = try store.token(secret: secret)
        guard lifetime > 0 else { return token }
        state.withLock { s in
            if s.entries.count >= capacity && s.entries[secret] == nil {
                let sweep = s.sweep
                s.entries = s.entries.filter { $0.value.sweep == sweep }
                if s.entries.count >= capacity / 4 * 3 { s.entries.removeAll(keepingCapacity: true) }
                s.sweep += 1
            }
            // Not counted as used yet: an entry must be used again to outlive the next sweep.
            s.entries[secret] = Entry(token: token, loaded: now, epoch: s.epoch, sweep: s.sweep - 1)
        }
        return token
    }

    /// Drops the tokens revoked in the last hour from the cache (by the store's clock: a
    /// revocation stamped an hour behind would be missed, which needs two processes whose
    /// clocks differ by that much), and counts as a check of every other entry. On a failure
    /// nothing counts, and entries expire a lifetime after their last check.
    func pollRevocations() throws(StoreError) {
        let began = clock()
        let since = Timestamp(millisecondsSinceEpoch: ZoneStore.now().millisecondsSinceEpoch - 3_600_000)
        let revoked = Set(try store.tokenIDs(revokedSince: since))
        state.withLock { s in
            if !revoked.isEmpty {
                // Found first, then replaced: a table changed while it is iterated is copied.
                var dropped: [String] = []
                for (secret, entry) in s.entries {
                    if let id = entry.token?.id, revoked.contains(id) { dropped.append(secret) }
                }
                for secret in dropped {  // known invalid from now
                    s.entries[secret] = Entry(token: nil, loaded: began, epoch: s.epoch, sweep: s.sweep - 1)
                }
            }
            s.epoch += 1
            s.polled = max(s.polled, began)
        }
    }
}

/// Polls the store for revoked tokens every half token-cache lifetime (`TokenCache`), off the
/// request threads.
struct TokenRevocationService: Service {
    let tokens: TokenCache
    let logger: Logger

    static let queue = DispatchQueue(label: "cordon.token-revocations")

    func run() async throws {
        await repeatUntilShutdown(every: tokens.lifetime / 2) {
            do throws(StoreError) {
                try await onQueue(Self.queue) { [tokens] () throws(StoreError) in try tokens.pollRevocations() }
            } catch {
                logger.error("token revocation poll failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
