#if canImport(Glibc)
import Glibc
#endif
import PAMMySQLCore

/// Open connections kept between PAM transactions of one process (saslauthd workers, Dovecot's
/// auth workers, web servers), so a login costs a query instead of a connect. The module is
/// NODELETE, so this outlives `pam_end()`.
///
/// Rules, each for a host we run in:
/// - a connection is checked out by one PAM handle at a time, so no two threads share one;
/// - the lock guards only the list, never network I/O (closing happens after unlocking);
/// - the lock is taken around `fork()` (pthread_atfork), so a child never inherits it held;
/// - a connection opened by another process (inherited through `fork()`) is never used or
///   closed here: it is dropped without a byte sent on the parent's socket;
/// - connections idle for longer than `maximumIdleSeconds` are closed rather than reused.
final class ConnectionPool: @unchecked Sendable {
    static let shared = ConnectionPool()

    /// Idle connections kept per process (a worker process needs one; a threaded host more).
    static let maximumIdle = 8
    /// Older idle connections are closed: servers drop them anyway (`wait_timeout`).
    static let maximumIdleSeconds: Int64 = 120

    private struct Idle {
        let connection: MariaDBConnection
        let since: Int64
    }

    private var idle: [Idle] = []
    /// Servers of a `host` list that failed to connect, by description, with the monotonic
    /// second until which they are skipped. Guarded by the same lock; never held across I/O.
    private var failedUntil: [String: Int64] = [:]

    private init() {}

    /// For each server, whether it failed recently and should be tried only as a last resort.
    func skipped(_ servers: [ServerAddress]) -> [Bool] {
        poolLock()
        defer { poolUnlock() }
        let now = monotonicSeconds()
        return servers.map { server in
            guard let until = failedUntil[server.description] else { return false }
            if until <= now {
                failedUntil[server.description] = nil
                return false
            }
            return true
        }
    }

    func noteFailure(of server: ServerAddress, skipFor seconds: UInt32) {
        poolLock()
        defer { poolUnlock() }
        if failedUntil.count > 64 { failedUntil.removeAll() }  // bounded, whatever the configs
        failedUntil[server.description] = monotonicSeconds() + Int64(seconds)
    }

    func noteSuccess(of server: ServerAddress) {
        poolLock()
        defer { poolUnlock() }
        failedUntil[server.description] = nil
    }

    /// An idle connection for `identity`, if one is open in this process.
    func checkOut(_ identity: ConnectionIdentity) -> MariaDBConnection? {
        var expired: [Idle] = []
        defer { expired.removeAll() }  // closed here, after the lock is released
        poolLock()
        defer { poolUnlock() }
        let now = monotonicSeconds()
        var found: MariaDBConnection?
        idle.removeAll { entry in
            guard entry.connection.isUsableInThisProcess else {
                entry.connection.abandon()
                return true
            }
            if now - entry.since > Self.maximumIdleSeconds {
                expired.append(entry)
                return true
            }
            if found == nil, entry.connection.identity.matches(identity) {
                found = entry.connection
                return true
            }
            return false
        }
        return found
    }

    /// Returns a healthy connection for later transactions (or closes it when the pool is full).
    func checkIn(_ connection: MariaDBConnection) {
        guard connection.isUsableInThisProcess else {
            connection.abandon()
            return
        }
        var surplus: [Idle] = []
        defer { surplus.removeAll() }
        poolLock()
        defer { poolUnlock() }
        idle.append(Idle(connection: connection, since: monotonicSeconds()))
        if idle.count > Self.maximumIdle {
            surplus.append(idle.removeFirst())
        }
    }
}

private func monotonicSeconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec)
}

/// A plain pthread mutex (Swift's `Mutex` traps in a child forked while it was held), taken
/// around `fork()` so the child's copy is never left locked.
private nonisolated(unsafe) let poolMutex: UnsafeMutablePointer<pthread_mutex_t> = {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_atfork(
        { pthread_mutex_lock(poolMutex) },
        { pthread_mutex_unlock(poolMutex) },
        { pthread_mutex_unlock(poolMutex) })
    return mutex
}()

private func poolLock() { pthread_mutex_lock(poolMutex) }
private func poolUnlock() { pthread_mutex_unlock(poolMutex) }
