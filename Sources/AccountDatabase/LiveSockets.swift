#if canImport(Glibc)
import Glibc
#endif

/// The descriptors of every connection this process has open (idle in the pool or checked out
/// by a PAM handle). A child of `fork()` closes its copies in the fork handler, before the host's
/// code runs in it: only `close()`, nothing sent (no COM_QUIT, no TLS close_notify), since the
/// parent still talks on the same sockets.
package enum LiveSockets {
    /// Guarded by the pool mutex; capacity kept so the fork handler never allocates.
    private nonisolated(unsafe) static var descriptors: [Int32] = {
        var list: [Int32] = []
        list.reserveCapacity(64)
        return list
    }()

    static func add(_ descriptor: Int32) {
        guard descriptor >= 0 else { return }
        ProcessLock.lock()
        defer { ProcessLock.unlock() }
        descriptors.append(descriptor)
    }

    static func remove(_ descriptor: Int32) {
        ProcessLock.lock()
        defer { ProcessLock.unlock() }
        if let index = descriptors.firstIndex(of: descriptor) { descriptors.remove(at: index) }
    }

    /// In the child, with the pool mutex held since the prepare handler.
    static func closeInChild() {
        for descriptor in descriptors { close(descriptor) }
        descriptors.removeAll(keepingCapacity: true)
    }
}
