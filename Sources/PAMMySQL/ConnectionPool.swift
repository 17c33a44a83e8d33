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
///   closed here: it is dropped without a byte sent on the parent's socket, and the child's
///   copy of its descriptor is closed in the fork handler itself (`LiveSockets`), so a prefork
///   worker or a forked helper holds no authenticated session of its parent;
/// - connections idle for longer than `maximumIdleSeconds` are closed rather than reused, at
///   every entry into the module (`sweep`): no thread of ours runs inside the host.
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
        var found: MariaDBConnection?
        removeIdle { connection in
            guard found == nil, connection.identity.matches(identity) else { return false }
            found = connection
            return true
        }
        return found
    }

    /// Closes the idle connections that expired, and forgets those of another process; called
    /// at every entry into the module.
    func sweep() {
        removeIdle { _ in false }
    }

    /// Removes the idle entries that are expired, foreign, or `taken`. Expired ones are closed
    /// after the lock is released (closing talks to the server).
    private func removeIdle(taking taken: (MariaDBConnection) -> Bool) {
        var expired: [Idle] = []
        defer { expired.removeAll() }
        poolLock()
        defer { poolUnlock() }
        guard !idle.isEmpty else { return }
        let now = monotonicSeconds()
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

/// The descriptors of every connection this process has open (idle in the pool or checked out
/// by a PAM handle). A child of `fork()` closes its copies in the fork handler, before the host's
/// code runs in it: only `close()`, nothing sent (no COM_QUIT, no TLS close_notify), since the
/// parent still talks on the same sockets.
enum LiveSockets {
    /// Guarded by the pool mutex; capacity kept so the fork handler never allocates.
    private nonisolated(unsafe) static var descriptors: [Int32] = {
        var list: [Int32] = []
        list.reserveCapacity(64)
        return list
    }()

    static func add(_ descriptor: Int32) {
        guard descriptor >= 0 else { return }
        poolLock()
        defer { poolUnlock() }
        descriptors.append(descriptor)
    }

    static func remove(_ descriptor: Int32) {
        poolLock()
        defer { poolUnlock() }
        if let index = descriptors.firstIndex(of: descriptor) { descriptors.remove(at: index) }
    }

    /// In the child, with the pool mutex held since the prepare handler.
    fileprivate static func closeInChild() {
        for descriptor in descriptors { close(descriptor) }
        descriptors.removeAll(keepingCapacity: true)
    }
}

/// A plain pthread mutex (Swift's `Mutex` traps in a child forked while it was held), taken
/// around `fork()` so the child's copy is never left locked.
private nonisolated(unsafe) let poolMutex: UnsafeMutablePointer<pthread_mutex_t> = {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_atfork(
        { pthread_mutex_lock(poolMutex) },
        { pthread_mutex_unlock(poolMutex) },
        {
            LiveSockets.closeInChild()
            pthread_mutex_unlock(poolMutex)
        })
    return mutex
}()

private func poolLock() { pthread_mutex_lock(poolMutex) }
private func poolUnlock() { pthread_mutex_unlock(poolMutex) }
