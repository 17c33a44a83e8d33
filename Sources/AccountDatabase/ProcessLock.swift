#if canImport(Glibc)
import Glibc
#endif

/// The one lock of the database layer's process-wide state (the pool, the failover table, the
/// live sockets): a plain pthread mutex (Swift's `Mutex` traps in a child forked while it was
/// held), taken around `fork()` so the child's copy is never left locked. Never held across
/// network I/O.
enum ProcessLock {
    private nonisolated(unsafe) static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_atfork(
            { ProcessLock.lock() },
            { ProcessLock.unlock() },
            {
                // In the child, before the host's code runs: close the parent's sockets.
                LiveSockets.closeInChild()
                ProcessLock.unlock()
            })
        return mutex
    }()

    static func lock() { pthread_mutex_lock(mutex) }
    static func unlock() { pthread_mutex_unlock(mutex) }

    static func withLock<R>(_ body: () -> R) -> R {
        lock()
        defer { unlock() }
        return body()
    }
}
