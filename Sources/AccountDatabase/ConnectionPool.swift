import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// Open connections kept between transactions of one process (saslauthd workers, Dovecot's
/// auth workers, web servers, the auth daemon), so a login costs a query instead of a connect.
/// The PAM module is NODELETE, so the shared pool outlives `pam_end()`.
///
/// Rules, each for a host we run in:
/// - a connection is checked out by one session at a time, so no two threads share one;
/// - the lock guards only the list, never network I/O (closing happens after unlocking);
/// - the lock is taken around `fork()` (`ProcessLock`), so a child never inherits it held;
/// - a connection opened by another process (inherited through `fork()`) is never used or
///   closed here: it is dropped without a byte sent on the parent's socket, and the child's
///   copy of its descriptor is closed in the fork handler itself (`LiveSockets`), so a prefork
///   worker or a forked helper holds no authenticated session of its parent;
/// - connections idle for longer than `maximumIdleSeconds` are closed rather than reused, at
///   every entry into the module (`sweep`): no thread of ours runs inside the host.
package final class ConnectionPool: @unchecked Sendable {
    package static let shared = ConnectionPool()

    /// Idle connections kept per process (a worker process needs one; a threaded host more).
    package static let maximumIdle = 8
    /// Older idle connections are closed: servers drop them anyway (`wait_timeout`).
    package static let maximumIdleSeconds: Int64 = 120

    private struct Idle {
        let connection: any DatabaseConnection
        let since: Int64
    }

    private var idle: [Idle] = []
    private let clock: () -> Int64

    /// `clock` gives monotonic seconds (a test passes its own).
    package init(clock: @escaping () -> Int64 = monotonicSeconds) {
        self.clock = clock
    }

    /// How many connections wait in the pool (for tests and diagnostics).
    package var idleCount: Int { ProcessLock.withLock { idle.count } }

    /// An idle connection for `identity`, if one is open in this process.
    package func checkOut(_ identity: ConnectionIdentity) -> (any DatabaseConnection)? {
        var found: (any DatabaseConnection)?
        removeIdle { connection in
            guard found == nil, connection.serves(identity) else { return false }
            found = connection
            return true
        }
        return found
    }

    /// Closes the idle connections that expired, and forgets those of another process; called
    /// at every entry into the module.
    package func sweep() {
        removeIdle { _ in false }
    }

    /// Removes the idle entries that are expired, foreign, or `taken`. Expired ones are closed
    /// after the lock is released (closing talks to the server).
    private func removeIdle(taking taken: (any DatabaseConnection) -> Bool) {
        var expired: [Idle] = []
        defer { expired.removeAll() }
        ProcessLock.lock()
        defer { ProcessLock.unlock() }
        guard !idle.isEmpty else { return }
        let now = clock()
        idle.removeAll { entry in
            guard entry.connection.isUsableInThisProcess else {
                entry.connection.abandon()
                return true
            }
            if now - entry.since > Self.maximumIdleSeconds {
                expired.append(entry)
                return true
            }
            return taken(entry.connection)
        }
    }

    /// Returns a healthy connection for later transactions (or closes the oldest when the pool
    /// is full).
    package func checkIn(_ connection: any DatabaseConnection) {
        guard connection.isUsableInThisProcess else {
            connection.abandon()
            return
        }
        var surplus: [Idle] = []
        defer { surplus.removeAll() }
        ProcessLock.lock()
        defer { ProcessLock.unlock() }
        idle.append(Idle(connection: connection, since: clock()))
        if idle.count > Self.maximumIdle {
            surplus.append(idle.removeFirst())
        }
    }
}

/// Seconds of CLOCK_MONOTONIC.
package func monotonicSeconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec)
}
