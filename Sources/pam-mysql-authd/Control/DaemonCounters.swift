import AuthDaemonCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The counters `status` shows, shared by the listeners (any event loop) and the control socket,
/// and the one place that feeds `--metrics` (`AuthdMetrics`): an event an operator watches gets
/// one method here, which counts it for `status` and passes it on to the metrics when they are on.
/// One lock around a few integers: a request touches it once, when it is answered.
final class DaemonCounters: Sendable {
    private struct Values {
        var openConnections: UInt64 = 0
        var acceptedConnections: UInt64 = 0
        var idleConnectionsClosed: UInt64 = 0
        var requests: [ControlStatus.RequestKey: UInt64] = [:]
        var caches: [ControlStatus.CacheKey: UInt64] = [:]
        var databaseServersFailed: UInt64 = 0
        var penaltyDelays: UInt64 = 0
        var penaltyDelayMilliseconds: UInt64 = 0
        var userLocks: UInt64 = 0
        var addressLimitRefusals: UInt64 = 0
        var events: [String: UInt64] = [:]
        /// Services the daemon resolved: the only `service` label values besides "other".
        var knownServices: Set<String> = []
    }

    private static let verificationHits = ControlStatus.CacheKey(cache: "verification", event: "hits")
    private static let verificationMisses = ControlStatus.CacheKey(cache: "verification", event: "misses")

    /// At most this many service labels; later services count as "other".
    static let serviceLabelLimit = 64

    private let values = Mutex(Values())
    private let started = DaemonCounters.monotonicSeconds()
    /// nil without `--metrics`.
    let metrics: AuthdMetrics?

    init(metrics: AuthdMetrics? = nil) {
        self.metrics = metrics
    }

    func connectionOpened() {
        values.withLock {
            $0.openConnections += 1
            $0.acceptedConnections += 1
        }
    }

    func connectionClosed() {
        values.withLock { $0.openConnections -= min($0.openConnections, 1) }
    }

    /// An idle connection closed to make room for a new one at max_connections (ConnectionTracker).
    func idleConnectionClosed() {
        values.withLock { $0.idleConnectionsClosed += 1 }
    }

    /// Idle connections closed at max_connections since the start (for metrics).
    var idleConnectionsClosed: UInt64 { values.withLock { $0.idleConnectionsClosed } }

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
        metrics?.count("database_failovers_total")
    }

    /// The verification cache answered a login: the password was not hashed again.
    func verificationCacheHit() {
        values.withLock { $0.caches[Self.verificationHits, default: 0] += 1 }
        metrics?.cacheLookedUp(cache: "verification", hit: true)
    }

    /// The verification cache had no entry for a login it could have answered (then the
    /// password was hashed as usual).
    func verificationCacheMiss() {
        values.withLock { $0.caches[Self.verificationMisses, default: 0] += 1 }
        metrics?.cacheLookedUp(cache: "verification", hit: false)
    }

    /// How many times `databaseServerFailed()` was called (not yet shown by `status`).
    var databaseServersFailed: UInt64 { values.withLock { $0.databaseServersFailed } }

    /// An answer held back by the address penalty, `milliseconds` after the request arrived.
    func penaltyApplied(milliseconds: Int64) {
        values.withLock {
            $0.penaltyDelays += 1
            $0.penaltyDelayMilliseconds += UInt64(max(0, milliseconds))
        }
        metrics?.count("penalty_delays_total")
        metrics?.count("penalty_delay_milliseconds_total", by: max(0, milliseconds))
    }

    /// A user locked by `user_lock_failures`.
    func userLockStarted() {
        values.withLock { $0.userLocks += 1 }
        metrics?.count("user_locks_total")
    }

    /// A request refused at once by `max_requests_per_address`.
    func addressLimitReached() {
        values.withLock { $0.addressLimitRefusals += 1 }
        metrics?.count("address_limit_refusals_total")
    }

    /// One answered login, for `status` and the metrics: `service` as the client named it
    /// (labelled only when the daemon resolved it), `temporaryReason` the reason of a
    /// temporary failure, `nanoseconds` from admission to answer.
    func loginAnswered(protocolName: String, service: String, result: String, temporaryReason: String?, nanoseconds: Int64) {
        let key = ControlStatus.RequestKey(protocolName: protocolName, result: result)
        let known = values.withLock {
            $0.requests[key, default: 0] += 1
            return $0.knownServices.contains(service)
        }
        guard let metrics else { return }
        metrics.loginAnswered(protocolName: protocolName, service: known ? service : "other", result: result, nanoseconds: nanoseconds)
        if let temporaryReason { metrics.temporaryFailure(reason: temporaryReason) }
    }

    /// A service whose stack the daemon resolved: its name may label the metrics.
    func serviceResolved(_ service: String) {
        guard metrics != nil else { return }
        values.withLock {
            guard $0.knownServices.count < Self.serviceLabelLimit else { return }
            $0.knownServices.insert(service)
        }
    }

    /// A lookup in the result cache: a hit spared the SELECT.
    func resultCacheLookedUp(hit: Bool) {
        values.withLock { $0.events[hit ? "result_cache_hits" : "result_cache_misses", default: 0] += 1 }
        metrics?.cacheLookedUp(cache: "result", hit: hit)
    }

    /// The database was out of reach and an expired result cache entry answered (stale-if-error).
    func resultCacheServedStale() {
        values.withLock { $0.events["result_cache_stale_answers", default: 0] += 1 }
        metrics?.count("cache_stale_answers_total")
    }

    /// `ctl flush` or a reload dropped `count` entries of the result cache.
    func resultCacheFlushed(count: Int) {
        values.withLock { $0.events["result_cache_flushed", default: 0] += UInt64(max(count, 0)) }
        metrics?.count("cache_flushed_entries_total", by: Int64(count))
    }

    func snapshot() -> ControlStatus {
        let uptime = DaemonCounters.monotonicSeconds() - started
        return values.withLock {
            var status = ControlStatus(
                uptimeSeconds: uptime, openConnections: $0.openConnections,
                acceptedConnections: $0.acceptedConnections, requests: $0.requests, caches: $0.caches, events: $0.events)
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
