/// The two caches, both off by default (`--cache-ttl SECONDS` turns both on with that TTL; the
/// daemon's file can turn on either alone).
///
/// - The verification cache keeps, per service and user, a keyed digest of the last password
///   that verified and a fingerprint of the stored value it verified against. The SELECT still
///   runs on every login; only the slow hash is skipped, so a changed password, hash or account
///   status takes effect at the next login.
/// - The result cache keeps what the database answered (as Dovecot's `auth_cache`) and spares
///   the SELECT: a password changed in the table waits for the TTL.
public struct CacheSettings: Sendable, Equatable {
    /// `verification_cache = yes|no`.
    public var verification = false
    /// `result_cache = yes|no`.
    public var result = false
    /// `cache_ttl`: how long an entry of either cache is used.
    public var ttl = Duration.seconds(3600)
    /// `cache_negative_ttl`: how long the result cache keeps "no such user" (0: not kept).
    public var negativeTTL = Duration.seconds(60)
    /// `cache_size`: entries per cache, least recently used evicted first.
    public var size = 10_000
    /// `cache_stale_if_error`: the result cache answers from an expired entry while the database
    /// cannot be reached (as Dovecot does).
    public var staleIfError = false

    public init() {}

    /// Whole seconds from 0 to a day, for the TTL keys and `--cache-ttl`.
    public static let ttlMilliseconds = 0...86_400_000
}
