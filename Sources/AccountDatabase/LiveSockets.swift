#if canImport(Glibc)
import Glibc
#endif

/// The descriptors of every connection this process has open (idle in the pool or checked out
/// by a session). A child of `fork()` closes its copies in the fork handler, before the host's
/// code runs in it: only `close()`, nothing sent (no COM_QUIT, no TLS close_notify), since the
/// parent still talks on the same sockets.
///
/// Each entry keeps the socket's device and inode too: Connector/C closes a socket itself when
/// the connection is lost, and the number may then belong to another file of the host until the
/// connection is dropped. The child closes a descriptor only if it is still that socket (`fstat`
/// is async-signal-safe). Left open: a `fork()` in another thread while a connect is under way,
/// before the socket is registered (it is close-on-exec from its first wait).
package enum LiveSockets {
    private struct Entry {
        let descriptor: Int32
        let device: UInt
        let inode: UInt
    }

    /// Guarded by `ProcessLock`; capacity kept so the fork handler never allocates.
    private nonisolated(unsafe) static var entries: [Entry] = {
        var list: [Entry] = []
        list.reserveCapacity(64)
        return list
    }()

    static func add(_ descriptor: Int32) {
        guard descriptor >= 0 else { return }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return }
        ProcessLock.withLock {
            entries.append(Entry(descriptor: descriptor, device: UInt(info.st_dev), inode: UInt(info.st_ino)))
        }
    }

    /// How many database connections are open now (the daemon's metrics).
    package static var count: Int { ProcessLock.withLock { entries.count } }

    static func remove(_ descriptor: Int32) {
        ProcessLock.withLock {
            if let index = entries.firstIndex(where: { $0.descriptor == descriptor }) { entries.remove(at: index) }
        }
    }

    /// In the child, with `ProcessLock` held since the prepare handler.
    static func closeInChild() {
        var info = stat()
        for entry in entries
        where fstat(entry.descriptor, &info) == 0 && UInt(info.st_dev) == entry.device && UInt(info.st_ino) == entry.inode {
            close(entry.descriptor)
        }
        entries.removeAll(keepingCapacity: true)
    }
}
