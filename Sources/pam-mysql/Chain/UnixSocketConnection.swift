import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// A connected Unix stream socket with timeouts on every read and write, owning its
/// descriptor: the chain check's clients of saslauthd's and Dovecot's sockets.
final class UnixSocketConnection {
    let descriptor: Int32
    private var buffered: [UInt8] = []

    /// Why a connection failed: the errno and its text.
    struct Failure: Error {
        let code: Int32
        var message: String { String(cString: strerror(code)) }
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    static func connect(_ path: String, timeout: Int = 10) -> Result<UnixSocketConnection, Failure> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(code: errno)) }
        let connection = UnixSocketConnection(descriptor: fd)
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let code = connectDescriptor(fd, to: path)
        return code == 0 ? .success(connection) : .failure(Failure(code: code))
    }

    /// connect(2) to a Unix socket path; 0 or the errno.
    static func connectDescriptor(_ fd: Int32, to path: String) -> Int32 {
        guard var address = address(path) else { return ENAMETOOLONG }
        return connectDescriptor(fd, to: &address)
    }

    /// The socket address of `path`, nil when it is too long for sun_path.
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return address
    }

    /// connect(2) with a prepared address; only system calls, so a forked child may use it.
    static func connectDescriptor(_ fd: Int32, to address: inout sockaddr_un) -> Int32 {
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                (try? retryingOnInterrupt { Glibc.send(descriptor, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) })
                    ?? -1
            }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Exactly `count` bytes, nil on end of stream or timeout.
    func receive(exactly count: Int) -> [UInt8]? {
        while buffered.count < count {
            guard fill() else { return nil }
        }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    /// One LF-terminated line (without the LF), nil on end of stream or timeout.
    func receiveLine(limit: Int = 16384) -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                defer { buffered.removeFirst(newline + 1) }
                return String(decoding: buffered[..<newline], as: UTF8.self)
            }
            guard buffered.count <= limit, fill() else { return nil }
        }
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = (try? retryingOnInterrupt { recv(descriptor, &chunk, chunk.count, 0) }) ?? -1
        guard n > 0 else { return false }
        buffered += chunk[0..<n]
        return true
    }
}
