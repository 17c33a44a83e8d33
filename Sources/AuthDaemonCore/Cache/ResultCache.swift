import Synchronization

/// What the database answered for a user, kept per service, step and user so that a login
/// within the TTL needs no SELECT (Dovecot's `auth_cache`): the daemon stores the row (a
/// found user) or "no such user" (a negative entry), never a verdict. The password is still
/// verified against the cached stored value at every login.
///
/// Rules (Dovecot's, `auth_daemon_protocols.md` C.1):
/// - a found user is fresh for `ttl`, "no such user" for `negativeTTL` (0: never stored), and
///   a found user whose last login failed for `negativeTTL` only;
/// - a mismatch against an entry whose last login succeeded is not answered from the cache:
///   the caller drops the entry and asks the database (the password may have changed);
/// - an expired entry stays (until evicted) for `staleIfError`: the caller may answer from it
///   while the database cannot be reached;
/// - at most `size` entries, least recently used evicted first.
///
/// Values hold stored hashes (SecretBytes): an entry let go (evicted, replaced, flushed)
/// drops its reference, and the bytes are wiped when the last login using them is done.
/// Thread-safe: one lock around the map and the recency list; the clock is injected (tests
/// use a fake one).
public final class ResultCache<Value: Sendable>: Sendable {
    private let state: Mutex<ResultCacheState<Value>>
    private let clock: @Sendable () -> Duration

    /// `clock`: monotonic time since any origin.
    public init(settings: CacheSettings, clock: @escaping @Sendable () -> Duration = ResultCacheClock.monotonic) {
        state = Mutex(ResultCacheState(settings: settings))
        self.clock = clock
    }

    /// The entry for `key`: fresh (answer from it), stale (ask the database; answer from it
    /// only when the database cannot be reached), or none. A fresh hit becomes the most
    /// recently used; a stale entry without `staleIfError` is dropped at once.
    public func lookup(_ key: ResultCacheKey) -> ResultCacheLookup<Value> {
        let now = clock()
        return state.withLock { $0.lookup(key, now: now) }
    }

    /// Stores what the database answered (`nil`: no such user), replacing any entry for `key`.
    public func store(_ key: ResultCacheKey, _ value: Value?) {
        let now = clock()
        state.withLock { $0.store(key, value, now: now) }
    }

    /// What the login that used the entry decided: the next mismatch after a success asks the
    /// database again, and an entry whose last login failed lives for the negative TTL.
    public func recordLogin(_ key: ResultCacheKey, succeeded: Bool) {
        state.withLock { $0.recordLogin(key, succeeded: succeeded) }
    }

    /// Drops one entry (a mismatch after a success: the password may have changed).
    public func remove(_ key: ResultCacheKey) {
        state.withLock { _ = $0.remove(key) }
    }

    /// Drops the entries of `service` (all services when nil), of `user` in it when given;
    /// answers how many went.
    @discardableResult
    public func flush(service: String? = nil, user: [UInt8]? = nil) -> Int {
        state.withLock { $0.flush(service: service, user: user) }
    }

    /// A reload: every entry dropped, the new settings in force.
    @discardableResult
    public func reset(settings: CacheSettings) -> Int {
        state.withLock {
            let dropped = $0.flush(service: nil, user: nil)
            $0.settings = settings
            return dropped
        }
    }

    public var count: Int { state.withLock { $0.count } }
    public var settings: CacheSettings { state.withLock { $0.settings } }
}

/// Which entry: the service, the pam_mysql line of its auth stack, and the user as the client
/// sent it.
public struct ResultCacheKey: Hashable, Sendable {
    public let service: String
    public let step: Int
    public let user: [UInt8]

    public init(service: String, step: Int, user: [UInt8]) {
        self.service = service
        self.step = step
        self.user = user
    }
}

/// A cached answer: the row of a found user, or "no such user".
public enum ResultCacheAnswer<Value: Sendable>: Sendable {
    case found(Value)
    case unknownUser
}

public enum ResultCacheLookup<Value: Sendable>: Sendable {
    /// Within its TTL: answer from it. `lastLoginSucceeded` is nil before any login used it.
    case fresh(ResultCacheAnswer<Value>, lastLoginSucceeded: Bool?)
    /// Past its TTL, kept for `staleIfError`.
    case stale(ResultCacheAnswer<Value>)
    case miss
}

public enum ResultCacheClock {
    /// CLOCK_MONOTONIC through the standard library.
    @Sendable public static func monotonic() -> Duration {
        ContinuousClock.now - origin
    }

    private static let origin = ContinuousClock.now
}
