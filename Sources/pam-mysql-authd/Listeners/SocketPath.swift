#if canImport(Glibc)
import Glibc
#endif

/// A UNIX socket path to listen on: a stale socket file (nobody accepts on it) is removed;
/// one another process still listens on (a saslauthd still running) is never touched: the
/// daemon says so and stops. Anything that is not a socket is left alone too.
enum SocketPath {
    static func prepare(_ path: String) throws(DaemonStartError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw DaemonStartError("\(path) exists and is not a socket: not removed")
        }
        if answers(path) {
            throw DaemonStartError("another process listens on \(path) (a saslauthd still running?)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw DaemonStartError("cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a connect() to `path` succeeds (closed at once, nothing sent).
    static func answers(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }

    /// A user given by name or number.
    static func userID(_ name: String?) throws(DaemonStartError) -> uid_t? {
        guard let name else { return nil }
        if let number = uid_t(name) { return number }
        guard let entry = getpwnam(name) else { throw DaemonStartError("socket owner \(name): no such user") }
        return entry.pointee.pw_uid
    }

    /// A group given by name or number.
    static func groupID(_ name: String?) throws(DaemonStartError) -> gid_t? {
        guard let name else { return nil }
        if let number = gid_t(name) { return number }
        guard let entry = getgrnam(name) else { throw DaemonStartError("socket group \(name): no such group") }
        return entry.pointee.gr_gid
    }

    /// The socket file's mode (and owner/group when given), after bind.
    static func setPermissions(_ path: String, mode: mode_t, owner: uid_t?, group: gid_t?) throws(DaemonStartError) {
        if owner != nil || group != nil {
            guard chown(path, owner ?? uid_t.max, group ?? gid_t.max) == 0 else {
                throw DaemonStartError("cannot chown \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard chmod(path, mode) == 0 else {
            throw DaemonStartError("cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }
}
