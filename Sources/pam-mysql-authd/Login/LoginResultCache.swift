import AccountDatabase
import AuthDaemonCore
import Logging
import PAMMySQLCore

/// A found user's row as the result cache keeps it: the password SELECT's columns and the
/// status row read with them (what the verification and the account check need). Only read
/// after it is made; its SecretBytes are wiped when the last reference goes.
struct CachedRow: @unchecked Sendable {
    let columns: [SecretBytes?]
    let accountRow: AccountRow?
}

/// How one lookup used the result cache, for what follows the verification.
enum ResultCacheUse: Sendable {
    /// The cache is off, or the step bypassed it.
    case unused
    /// Answered from a fresh entry; what the last login that used it decided.
    case hit(lastLoginSucceeded: Bool?)
    /// The database answered (and the answer was stored).
    case miss
    /// The database could not be reached; answered from an expired entry (stale-if-error).
    case stale
}

/// The daemon's result cache around the password SELECT (`ResultCache` holds the rules):
/// a fresh entry answers without the database, a miss runs the SELECT and stores a found row
/// or "no such user", and with `cache_stale_if_error` an expired entry answers while the
/// database is out of reach. Database errors and ambiguous rows are never stored.
final class LoginResultCache: Sendable {
    let cache: ResultCache<CachedRow>
    private let counters: DaemonCounters
    private let logger: Logger

    init(settings: CacheSettings, counters: DaemonCounters, logger: Logger) {
        cache = ResultCache(settings: settings)
        self.counters = counters
        self.logger = logger
    }

    var isOn: Bool { cache.settings.result }

    /// The SELECT's answer for `key`, and how the cache served it. `bypass`: a fresh lookup
    /// (after a mismatch against an entry whose last login succeeded).
    func answer(
        _ key: ResultCacheKey, session: DatabaseSession, bypass: Bool = false
    ) -> (Result<[SecretBytes?], LookupFailure>, ResultCacheUse) {
        guard isOn else { return (session.lookupPasswordRow(user: key.user), .unused) }
        let kept: ResultCacheLookup<CachedRow> = bypass ? .miss : cache.lookup(key)
        if case .fresh(let answer, let lastLoginSucceeded) = kept {
            counters.resultCacheLookedUp(hit: true)
            return (Self.result(answer, session: session), .hit(lastLoginSucceeded: lastLoginSucceeded))
        }
        counters.resultCacheLookedUp(hit: false)
        let found = session.lookupPasswordRow(user: key.user)
        switch found {
        case .success(let columns):
            cache.store(key, CachedRow(columns: columns, accountRow: session.accountRow))
        case .failure(.userUnknown):
            cache.store(key, nil)
        case .failure(.database(let error)) where error.kind == .unavailable:
            if case .stale(let answer) = kept {
                logger.warning(
                    "database unreachable (\(LogText.escaped(error.message, limit: 256))): answered from an expired cache entry (cache_stale_if_error)"
                )
                counters.resultCacheServedStale()
                return (Self.result(answer, session: session), .stale)
            }
        case .failure:
            break
        }
        return (found, .miss)
    }

    /// After the verification: whether to look the user up again (a refusal against an entry
    /// whose last login succeeded: the password may have changed, Dovecot's rule); otherwise
    /// the login's outcome is noted on the entry.
    func needsFreshLookup(_ key: ResultCacheKey, _ use: ResultCacheUse, verdict: LoginVerdict) -> Bool {
        let succeeded: Bool
        switch verdict {
        case .accepted: succeeded = true
        case .refused: succeeded = false
        case .temporaryFailure: return false
        }
        switch use {
        case .unused, .stale: return false
        case .hit(let last) where last == true && !succeeded:
            cache.remove(key)
            return true
        case .hit, .miss:
            cache.recordLogin(key, succeeded: succeeded)
            return false
        }
    }

    /// `ctl flush`: the matching entries dropped; how many.
    func flush(service: String?, user: [UInt8]?) -> Int { cache.flush(service: service, user: user) }

    /// A reload: everything dropped, the new settings in force.
    func reset(settings: CacheSettings) -> Int { cache.reset(settings: settings) }

    private static func result(_ answer: ResultCacheAnswer<CachedRow>, session: DatabaseSession) -> Result<[SecretBytes?], LookupFailure> {
        switch answer {
        case .found(let row):
            session.accountRow = row.accountRow
            return .success(row.columns)
        case .unknownUser:
            return .failure(.userUnknown)
        }
    }
}
