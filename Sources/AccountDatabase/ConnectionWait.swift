internal import CMariaDB

#if canImport(Glibc)
import Glibc
#endif

/// The wait Connector/C performs for every blocking step on a database socket (TCP connect,
/// greeting, TLS handshake, each read and write), installed with `MARIADB_OPT_IO_WAIT`.
///
/// It replaces the library's own `poll` for two reasons:
/// - **close-on-exec as soon as the socket exists.** Connector/C 3.3 creates its sockets
///   without `SOCK_CLOEXEC`. The first wait comes before the first byte is sent (the
///   non-blocking TCP connect, or reading the greeting on a Unix socket), so a thread of the
///   host that forks and execs meanwhile hands no database session to the new program.
/// - **the login deadline.** Each wait is cut to what is left of the calling thread's
///   `LoginDeadline`, with millisecond precision: Connector/C's own timeouts are whole seconds
///   per step, so a list of servers could otherwise add up to several times `connect_timeout`.
enum ConnectionWait {
    /// The function pointer given to `mysql_optionsv(MARIADB_OPT_IO_WAIT)`.
    static let hook: @convention(c) (my_socket, my_bool, Int32) -> Int32 = { socket, isRead, timeout in
        setCloseOnExec(socket)
        // Connector/C's convention: the timeout is in milliseconds, 0 or less means none.
        var limit = timeout > 0 ? Int64(timeout) : -1
        if let remaining = LoginDeadline.remainingMilliseconds() {
            guard remaining > 0 else {
                errno = ETIMEDOUT
                return 0
            }
            limit = limit < 0 ? remaining : min(limit, remaining)
        }
        var descriptor = pollfd(fd: socket, events: Int16(isRead != 0 ? POLLIN : POLLOUT), revents: 0)
        var ready: Int32
        repeat {
            ready = poll(&descriptor, 1, Int32(clamping: limit))
        } while ready == -1 && errno == EINTR
        if ready == 0 { errno = ETIMEDOUT }
        return ready
    }

    /// Marks `socket` close-on-exec (its only descriptor flag, so no read-modify-write).
    static func setCloseOnExec(_ socket: Int32) {
        guard socket >= 0 else { return }
        _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
    }
}
