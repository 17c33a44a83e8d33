import AuthDaemonCore

#if canImport(Glibc)
import Glibc
#endif

/// The sockets systemd passed (sd_listen_fds(3) with unset_environment = 1): the environment rules
/// are ListenFDNames's; here are only the system calls. Every descriptor is marked close-on-exec
/// and must be a listening AF_UNIX SOCK_STREAM socket: the units in packaging/systemd/ make only
/// those, and a TCP or datagram socket passed by a mistyped unit is refused at start with its
/// number and name, not served with the wrong protocol.
enum ListenFDs {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Takes the passed sockets out of the environment (the variables are unset either way, so
    /// no child sees them) and checks each one.
    static func take() -> Result<[ListenFDNames.Descriptor], Failure> {
        let parsed = ListenFDNames.parse(
            listenPID: environment("LISTEN_PID"),
            listenFDs: environment("LISTEN_FDS"),
            listenFDNames: environment("LISTEN_FDNAMES"),
            ourPID: getpid()
        )
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        switch parsed {
        case .failure(let failure):
            return .failure(Failure(description: "socket activation: \(failure)"))
        case .success(let descriptors):
            for descriptor in descriptors {
                if let problem = check(descriptor.fd) {
                    return .failure(
                        Failure(description: "socket activation: descriptor \(descriptor.fd) (\(descriptor.name)) \(problem)"))
                }
            }
            return .success(descriptors)
        }
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Why `fd` cannot be served (nil when it is a listening UNIX stream socket); sets FD_CLOEXEC.
    static func check(_ fd: Int32) -> String? {
        let flags = fcntl(fd, F_GETFD)
        guard flags >= 0 else { return "is not open: \(String(cString: strerror(errno)))" }
        guard fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0 else {
            return "cannot be made close-on-exec: \(String(cString: strerror(errno)))"
        }
        guard let domain = intOption(fd, SO_DOMAIN), let type = intOption(fd, SO_TYPE),
            let listening = intOption(fd, SO_ACCEPTCONN)
        else {
            return "is not a socket: \(String(cString: strerror(errno)))"
        }
        guard domain == AF_UNIX, type == Int32(SOCK_STREAM.rawValue) else {
            return "is not a UNIX stream socket (domain \(domain), type \(type)): use ListenStream=/path in the unit"
        }
        guard listening != 0 else { return "is a UNIX stream socket that is not listening (Accept=yes is not supported)" }
        return nil
    }

    private static func intOption(_ fd: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
    }
}
