import AuthDaemonCore
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The control socket: bound at a path (mode 0600 in a 0700 directory) or taken from systemd
/// (FileDescriptorName=control), each connection served by a ControlHandler.
enum ControlServer {
    /// Inside the service's RuntimeDirectory (packaging/systemd/pam-mysql-authd.service).
    static let defaultPath = "/run/pam-mysql-authd/control"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Listens on `path`. A socket file left by a dead daemon is replaced; one another process
    /// still answers on is not (the error says so), and neither is any other kind of file.
    static func bind(
        path: String, group: EventLoopGroup, commands: any ControlCommands, logger: Logger
    ) async throws -> Channel {
        try prepare(path: path)
        let channel = try await bootstrap(group: group, commands: commands, logger: logger)
            .bind(unixDomainSocketPath: path).get()
        // Only root may connect (the handler checks again with SO_PEERCRED).
        guard chmod(path, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await channel.close()
            throw Failure(description: "control socket \(path): chmod 0600: \(reason)")
        }
        return channel
    }

    /// Serves a listening socket systemd passed.
    static func adopt(
        descriptor: Int32, group: EventLoopGroup, commands: any ControlCommands, logger: Logger
    ) async throws -> Channel {
        try await bootstrap(group: group, commands: commands, logger: logger).withBoundSocket(descriptor).get()
    }

    private static func bootstrap(group: EventLoopGroup, commands: any ControlCommands, logger: Logger) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            // `printf 'status\n' | nc -NU` half-closes after the command: the reply still goes out.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlHandler(commands: commands, logger: logger))
                }
            }
    }

    /// Removes the socket file at shutdown (only a socket: never another file put there since).
    static func remove(path: String) {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
    }

    /// Creates the directory (0700) when it is missing and removes a stale socket file.
    static func prepare(path: String) throws {
        guard path.hasPrefix("/"), path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw Failure(description: "control socket \(path): not an absolute path short enough for a UNIX socket")
        }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty, access(directory, F_OK) != 0 {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw Failure(description: "control socket directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure(description: "control socket \(path): a file that is not a socket is in the way")
        }
        if isAnswering(path) {
            throw Failure(description: "control socket \(path): another process listens on it (is a pam-mysql-authd running?)")
        }
        guard unlink(path) == 0 else {
            throw Failure(description: "control socket \(path): cannot remove the stale socket: \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return UnixSocketAddress.withAddress(path: path) { connect(fd, $0, $1) == 0 } ?? false
    }
}
