import Synchronization

/// The `jti`s of accepted service tokens, each remembered until its token expires, so a token is accepted once.
///
/// Memory is bounded: at ``capacity`` entries the expired ones are dropped, and if the cache is still full the
/// tenth that expires soonest is dropped too (a replay of one of those would then go unnoticed: the price of a
/// bound against issuers minting long-lived tokens by the million).
final class JTIReplayCache: Sendable {
    let capacity: Int
    private let entries = Mutex<[String: Int64]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Records `key` (issuer and jti) as used until `expiry` (seconds since the epoch). False when it was already
    /// used and its token has not expired.
    func use(_ key: String, expiry: Int64, now: Int64) -> Bool {
        entries.withLock { entries in
            if let until = entries[key], until >= now { return false }
            if entries.count >= capacity {
                entries = entries.filter { $0.value >= now }
                if entries.count >= capacity {
                    let drop = max(1, capacity / 10)
                    for (old, _) in entries.sorted(by: { $0.value < $1.value }).prefix(drop) {
                        entries.removeValue(forKey: old)
                    }
                }
            }
            entries[key] = expiry
            return true
        }
    }

    /// Entries held (tests).
    var count: Int { entries.withLock { $0.count } }
}
