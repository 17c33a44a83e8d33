#if canImport(Glibc)
import Glibc
#endif

/// Proves that Postfix's smtpd can open a socket: a forked child enters the chroot when smtpd
/// is chrooted, takes the mail owner's uid, gid and supplementary groups (as Postfix's
/// `chroot_uid()` does with `initgroups()`), and connect()s. Nothing is inferred from modes:
/// ACLs, AppArmor and a missing `adduser postfix sasl` all show as they would for smtpd.
enum PrivilegeDroppedConnect {
    enum Outcome {
        case connected
        /// connect() (or entering the chroot) failed with this errno.
        case failed(Int32, step: String)
        case unknownUser
        case forkFailed(Int32)
    }

    /// The uid, gid and groups of `user`, as initgroups() would set them.
    struct Identity {
        let uid: uid_t
        let gid: gid_t
        let groups: [gid_t]
    }

    static func identity(of user: String) -> Identity? {
        guard let entry = getpwnam(user) else { return nil }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(user, gid, &groups, &count)
        }
        return Identity(uid: uid, gid: gid, groups: Array(groups.prefix(Int(max(count, 0)))))
    }

    /// Connects to `path` as `user`, inside `chrootDirectory` when given (then `path` is the
    /// path as seen inside it).
    static func connect(path: String, as user: String, chrootDirectory: String?) -> Outcome {
        guard let identity = identity(of: user) else { return .unknownUser }
        guard var address = UnixSocketConnection.address(path) else { return .failed(ENAMETOOLONG, step: "connect") }
        var channel: [Int32] = [-1, -1]
        guard makePipe(&channel) else { return .forkFailed(errno) }
        // Everything the child needs is prepared before fork(): it only makes system calls.
        let root = chrootDirectory.map { Array($0.utf8CString) }
        let groups = identity.groups
        let child = fork()
        if child < 0 {
            let code = errno
            close(channel[0])
            close(channel[1])
            return .forkFailed(code)
        }
        if child == 0 {
            close(channel[0])
            func report(_ step: UInt8, _ code: Int32) -> Never {
                var message: [UInt8] = [step, UInt8(code & 0xff), UInt8(code >> 8 & 0xff)]
                _ = write(channel[1], &message, 3)
                _exit(0)
            }
            if let root {
                if root.withUnsafeBufferPointer({ chroot($0.baseAddress!) }) != 0 { report(1, errno) }
                if chdir("/") != 0 { report(1, errno) }
            }
            if groups.withUnsafeBufferPointer({ setgroups($0.count, $0.baseAddress) }) != 0 { report(2, errno) }
            if setgid(identity.gid) != 0 { report(2, errno) }
            if setuid(identity.uid) != 0 { report(2, errno) }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            if fd < 0 { report(3, errno) }
            report(3, UnixSocketConnection.connectDescriptor(fd, to: &address))
        }
        close(channel[1])
        var message: [UInt8] = [0, 0, 0]
        var got = 0
        while got < 3 {
            let n = message.withUnsafeMutableBytes { read(channel[0], $0.baseAddress! + got, 3 - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        close(channel[0])
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        guard got == 3 else { return .failed(EIO, step: "child") }
        let code = Int32(message[1]) | Int32(message[2]) << 8
        if code == 0 { return .connected }
        switch message[0] {
        case 1: return .failed(code, step: "chroot")
        case 2: return .failed(code, step: "setuid")
        default: return .failed(code, step: "connect")
        }
    }
}
