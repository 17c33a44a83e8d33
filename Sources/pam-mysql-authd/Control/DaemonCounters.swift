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
        var databaseFailovers: UInt64 = 0
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

    /// The verification cache answered a login: the password was not hashed again.
    func verificationCacheHit() {
        values.withLock { $0.caches[Self.verificationHits, default: 0] += 1 }
    }

    /// The verification cache had no entry for a login it could have answered (then the
    /// password was hashed as usual).
    func verificationCacheMiss() {
        values.withLock { $0.caches[Self.verificationMisses, default: 0] += 1 }
    }

    /// A login's session marked `servers` servers of its `host` list as failed (refused
    /// connection, timeout, or a Galera node outside the primary component answering ER 1047)
    /// and went on to the next: the database is degraded although logins still succeed.
    func databaseFailover(servers: Int) {
        values.withLock { $0.databaseFailovers += UInt64(max(servers, 0)) }
    }

    /// Servers marked as failed since start-up (`databaseFailover`), for status and metrics.
    var databaseFailovers: UInt64 { values.withLock { $0.databaseFailovers } }

    func snapshot() -> ControlStatus {
        let uptime = DaemonCounters.monotonicSeconds() - started
        return values.withLock {
            ControlStatus(
                uptimeSeconds: uptime, openConnections: $0.openConnections,
                acceptedConnections: $0.acceptedConnections, requests: $0.requests, caches: $0.caches)
        }
    }

    private static func monotonicSeconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(max(now.tv_sec, 0))
    }
}
