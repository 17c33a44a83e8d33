#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) by hand: one datagram per state change to the AF_UNIX SOCK_DGRAM socket named by
/// `$NOTIFY_SOCKET` (a leading `@` is Linux's abstract namespace). Not libsystemd: the protocol is
/// a few lines, and the systemd project itself suggests reimplementing it rather than linking
/// the library for it.
///
/// `fromEnvironment()` takes the variable out of the environment, so the children of the daemon
/// (none today) cannot notify in its name. Without the variable (not started by systemd) there is
/// no notifier and nothing is sent.
struct SystemdNotifier: Sendable {
    /// The address as `sendto` wants it; the abstract form has a leading NUL.
    private let path: [UInt8]
    /// `$NOTIFY_SOCKET` as given, for error lines.
    let socketName: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The notifier for `$NOTIFY_SOCKET`, or nil when it is unset or empty; unsets the variable.
    /// A value that is no UNIX socket address (systemd also knows `vsock:`) is an error.
    static func fromEnvironment() -> Result<SystemdNotifier?, Failure> {
        guard let raw = getenv("NOTIFY_SOCKET") else { return .success(nil) }
        let value = String(cString: raw)
        unsetenv("NOTIFY_SOCKET")
        if value.isEmpty { return .success(nil) }
        return make(socketName: value).map { $0 }
    }

    /// The notifier for one address: `/path` or `@abstract`.
    static func make(socketName: String) -> Result<SystemdNotifier, Failure> {
        var bytes = Array(socketName.utf8)
        guard bytes.first == UInt8(ascii: "/") || bytes.first == UInt8(ascii: "@") else {
            return .failure(Failure(description: "NOTIFY_SOCKET is not a UNIX socket path or @name: \(socketName)"))
        }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        // A path needs its NUL inside sun_path; an abstract name may use every byte.
        guard bytes.count < capacity || (bytes[0] == 0 && bytes.count <= capacity), bytes.count > 1 else {
            return .failure(Failure(description: "NOTIFY_SOCKET is too long for a UNIX socket address: \(socketName)"))
        }
        return .success(SystemdNotifier(path: bytes, socketName: socketName))
    }

    /// `READY=1` with a status line: the sockets are open and the configuration is loaded.
    func ready(status: String) -> Result<Void, Failure> {
        send(["READY=1", "STATUS=\(Self.oneLine(status))", "MAINPID=\(getpid())"])
    }

    /// `STOPPING=1`: SIGTERM arrived; in-flight requests are being drained.
    func stopping(status: String) -> Result<Void, Failure> {
        send(["STOPPING=1", "STATUS=\(Self.oneLine(status))"])
    }

    /// `RELOADING=1` at the start of a reload and `READY=1` at its end (systemd shows "reloading").
    func reloading(status: String) -> Result<Void, Failure> {
        send(["RELOADING=1", "STATUS=\(Self.oneLine(status))"])
    }

    /// `STATUS=...` alone, shown by `systemctl status`.
    func status(_ text: String) -> Result<Void, Failure> {
        send(["STATUS=\(Self.oneLine(text))"])
    }

    /// Sends `assignments` as one datagram, newline-separated. A fresh socket each time, as
    /// libsystemd does: notifications are rare, and nothing stays open across fork or reload.
    func send(_ assignments: [String]) -> Result<Void, Failure> {
        let message = Array(assignments.joined(separator: "\n").utf8)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(failure("socket")) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (index, byte) in path.enumerated() { sunPath[index] = byte }
        }
        // The abstract name's length is exact (no NUL counted); a path's includes its NUL.
        let pathLength = path[0] == 0 ? path.count : path.count + 1
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathLength)
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        guard sent == message.count else { return .failure(failure("sendto")) }
        return .success(())
    }

    private func failure(_ call: String) -> Failure {
        Failure(description: "cannot notify systemd at \(socketName): \(call): \(String(cString: strerror(errno)))")
    }

    /// A value on one line: systemd splits the datagram at newlines.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
