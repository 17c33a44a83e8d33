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
        var requests: [ControlStatus.RequestKey: UInt64] = [:]
        var events: [String: UInt64] = [:]
        /// Services the daemon resolved: the only `service` label values besides "other".
        var knownServices: Set<String> = []
        var databaseFailovers: UInt64 = 0
    }

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

    /// One answered request: `protocolName` "saslauthd" or "dovecot", `result` as the daemon
    /// names its outcomes ("ok", "no", "fail", "tempfail"...).
    func requestAnswered(protocolName: String, result: String) {
        let key = ControlStatus.RequestKey(protocolName: protocolName, result: result)
        values.withLock { $0.requests[key, default: 0] += 1 }
    }

    /// A login's session marked `servers` servers of its `host` list as failed (refused
    /// connection, timeout, or a Galera node outside the primary component answering ER 1047)
    /// and went on to the next: the database is degraded although logins still succeed.
    func databaseFailover(servers: Int) {
        values.withLock { $0.databaseFailovers += UInt64(max(servers, 0)) }
        metrics?.count("database_failovers_total", by: Int64(max(servers, 0)))
    }

    /// Servers marked as failed since start-up (`databaseFailover`), for status and metrics.
    var databaseFailovers: UInt64 { values.withLock { $0.databaseFailovers } }

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
            ControlStatus(
                uptimeSeconds: uptime, openConnections: $0.openConnections,
                acceptedConnections: $0.acceptedConnections, requests: $0.requests, events: $0.events)
        }
    }

    private static func monotonicSeconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(max(now.tv_sec, 0))
    }
}
