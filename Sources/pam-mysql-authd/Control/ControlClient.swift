import AuthDaemonCore

#if canImport(Glibc)
import Glibc
#endif

/// The exit statuses of `pam-mysql-authd ctl`, sysexits.h's where one fits: a script can tell
/// "the daemon said no" (1) from "no daemon to ask" (69).
enum ControlClientStatus {
    /// The reply's last line is OK.
    static let ok: Int32 = 0
    /// The reply's last line is ERROR.
    static let refused: Int32 = 1
    /// EX_USAGE: a command that cannot be sent (more than one line).
    static let usage: Int32 = 64
    /// EX_UNAVAILABLE: the socket is missing or not listening, the peer is refused, or the reply is cut short.
    static let unavailable: Int32 = 69
}

/// `pam-mysql-authd ctl COMMAND...`: sends one command line to the control socket, prints the
/// reply's lines to standard output and returns the exit status (ControlClientStatus): 0 when
/// the reply ends with OK, 1 with ERROR, 69 when the daemon cannot be reached or the reply is cut
/// short (the reason on standard error). Plain POSIX calls: no event loop for one request.
func runControlClient(path: String, command: String) -> Int32 {
    func fail(_ what: String) -> Int32 {
        let reason = String(cString: strerror(errno))
        writeLine("pam-mysql-authd ctl: \(path): \(what): \(reason)", to: STDERR_FILENO)
        return ControlClientStatus.unavailable
    }
    func closedEarly() -> Int32 {
        writeLine(
            "pam-mysql-authd ctl: \(path): the daemon closed the connection before it answered (the control socket serves root only)",
            to: STDERR_FILENO)
        return ControlClientStatus.unavailable
    }
    guard !command.contains("\n") else {
        writeLine("pam-mysql-authd ctl: a command is one line", to: STDERR_FILENO)
        return ControlClientStatus.usage
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return fail("socket") }
    defer { close(fd) }
    // A daemon that stops answering must not hang a script: 30 s per read, as for a reload.
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard let connected = UnixSocketAddress.withAddress(path: path, { connect(fd, $0, $1) }) else {
        writeLine("pam-mysql-authd ctl: \(path): not a UNIX socket path", to: STDERR_FILENO)
        return ControlClientStatus.usage
    }
    guard connected == 0 else { return fail("connect") }
    let request = Array((command + "\n").utf8)
    var written = 0
    while written < request.count {
        let n = request[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else {
            if errno == EPIPE || errno == ECONNRESET { return closedEarly() }
            return fail("send")
        }
        written += n
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        while let end = received.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: received[..<end], as: UTF8.self)
            received.removeSubrange(...end)
            writeLine(line, to: STDOUT_FILENO)
            if let succeeded = ControlReply.outcome(ofLastLine: line) {
                return succeeded ? ControlClientStatus.ok : ControlClientStatus.refused
            }
        }
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0, errno == EINTR { continue }
        if n < 0, errno == ECONNRESET { return closedEarly() }
        if n < 0 { return fail("receive") }
        if n == 0 { return closedEarly() }
        received += chunk[..<n]
    }
}

/// One line to a descriptor, unbuffered: the reply's lines and the errors stay in order.
private func writeLine(_ text: String, to fd: Int32) {
    let bytes = Array((text + "\n").utf8)
    var written = 0
    while written < bytes.count {
        let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return }
        written += n
    }
}
