import AuthDaemonCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The counters `status` shows, shared by the listeners (any event loop) and the control socket.
/// One lock around a few integers: a request touches it once, when it is answered.
final class DaemonCounters: Sendable {
    private struct Values {
        var openConnections: UInt64 = 0
        var acceptedConnections: UInt64 = 0
        var requests: [ControlStatus.RequestKey: UInt64] = [:]
        var caches: [ControlStatus.CacheKey: UInt64] = [:]
        var databaseServersFailed: UInt64 = 0
        var penaltyDelays: UInt64 = 0
        var penaltyDelayMilliseconds: UInt64 = 0
        var userLocks: UInt64 = 0
        var addressLimitRefusals: UInt64 = 0
    }

    private static let verificationHits = ControlStatus.CacheKey(cache: "verification", event: "hits")
    private static let verificationMisses = ControlStatus.CacheKey(cache: "verification", event: "misses")

    private let values = Mutex(Values())
    private let started = DaemonCounters.monotonicSeconds()

    func connectionOpened() {
        values.withLock {
            $0.openConnections += 1
            $0.acceptedConnections += 1
        }
    }

    func connectionClosed() {
        values.withLock { $0.openConnections -= min($0.openConnections, 1) }
    }

    /// One answered request: `protocolName` "saslauthd" or "dovecot", `result` as the daemon
    /// names its outcomes ("ok", "no", "fail", "tempfail"...).
    func requestAnswered(protocolName: String, result: String) {
        let key = ControlStatus.RequestKey(protocolName: protocolName, result: result)
        values.withLock { $0.requests[key, default: 0] += 1 }
    }

    /// A server of a `host` list was marked as failed (it refused, stopped answering, or could
    /// not serve: a Galera node outside the primary component) within a login: the logins that
    /// follow go to the next server for `failover_retry` seconds.
    func databaseServerFailed() {
        values.withLock { $0.databaseServersFailed += 1 }
    }

    /// The verification cache answered a login: the password was not hashed again.
    func verificationCacheHit() {
        values.withLock { $0.caches[Self.verificationHits, default: 0] += 1 }
    }

    /// The verification cache had no entry for a login it could have answered (then the
    /// password was hashed as usual).
    func verificationCacheMiss() {
        values.withLock { $0.caches[Self.verificationMisses, default: 0] += 1 }
    }

    /// How many times `databaseServerFailed()` was called (not yet shown by `status`).
    var databaseServersFailed: UInt64 { values.withLock { $0.databaseServersFailed } }

    /// An answer held back by the address penalty, `milliseconds` after the request arrived.
    func penaltyApplied(milliseconds: Int64) {
        values.withLock {
            $0.penaltyDelays += 1
            $0.penaltyDelayMilliseconds += UInt64(max(0, milliseconds))
        }
    }

    /// A user locked by `user_lock_failures`.
    func userLockStarted() {
        values.withLock { $0.userLocks += 1 }
    }

    /// A request refused at once by `max_requests_per_address`.
    func addressLimitReached() {
        values.withLock { $0.addressLimitRefusals += 1 }
    }

    func snapshot() -> ControlStatus {
        let uptime = DaemonCounters.monotonicSeconds() - started
        return values.withLock {
            var status = ControlStatus(
                uptimeSeconds: uptime, openConnections: $0.openConnections,
                acceptedConnections: $0.acceptedConnections, requests: $0.requests, caches: $0.caches)
            status.defence = [
                "penalty_delays": $0.penaltyDelays, "penalty_delay_milliseconds": $0.penaltyDelayMilliseconds,
                "user_locks": $0.userLocks, "address_limit_refusals": $0.addressLimitRefusals,
            ]
            return status
        }
    }

    private static func monotonicSeconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(max(now.tv_sec, 0))
    }
}
