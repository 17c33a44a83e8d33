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
        var penaltyDelays: UInt64 = 0
        var penaltyDelayMilliseconds: UInt64 = 0
        var userLocks: UInt64 = 0
        var addressLimitRefusals: UInt64 = 0
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

    /// One answered request: `protocolName` "saslauthd" or "dovecot", `result` as the daemon
    /// names its outcomes ("ok", "no", "fail", "tempfail"...).
    func requestAnswered(protocolName: String, result: String) {
        let key = ControlStatus.RequestKey(protocolName: protocolName, result: result)
        values.withLock { $0.requests[key, default: 0] += 1 }
    }

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
                acceptedConnections: $0.acceptedConnections, requests: $0.requests)
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
