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
        var idleConnectionsClosed: UInt64 = 0
        var requests: [ControlStatus.RequestKey: UInt64] = [:]
    }

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

    func snapshot() -> ControlStatus {
        let uptime = DaemonCounters.monotonicSeconds() - started
        return values.withLock {
            ControlStatus(
                uptimeSeconds: uptime, openConnections: $0.openConnections,
                acceptedConnections: $0.acceptedConnections, requests: $0.requests)
        }
    }

    private static func monotonicSeconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(max(now.tv_sec, 0))
    }
}
