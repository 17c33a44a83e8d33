import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// Reading passwords: from the terminal without echo, or one line from standard input.
enum Secrets {
    struct Failure: Error {
        let message: String
    }

    /// One line from `fd`, without its newline, byte by byte (nothing buffered past it).
    private static func readLine(_ fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = (try? retryingOnInterrupt { Glibc.read(fd, &byte, 1) }) ?? -1
            if n <= 0 { return bytes.isEmpty ? nil : bytes }
            if byte == UInt8(ascii: "\n") { return bytes }
            bytes.append(byte)
            if bytes.count > 64 * 1024 { return bytes }
        }
    }

    static func read(prompt: String, fromStdin: Bool) throws(Failure) -> SecretBytes {
        if fromStdin {
            var line = readLine(0) ?? []
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            defer { for i in line.indices { line[i] = 0 } }
            return SecretBytes(line)
        }
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else { throw Failure(message: "no terminal to ask for the password on; use --password-stdin") }
        defer { close(tty) }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        let haveTermios = tcgetattr(tty, &saved) == 0
        if haveTermios {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            quiet.c_lflag |= tcflag_t(ICANON)
            _ = tcsetattr(tty, TCSAFLUSH, &quiet)
        }
        var line = readLine(tty) ?? []
        if haveTermios { _ = tcsetattr(tty, TCSAFLUSH, &saved) }
        _ = write(tty, "\n", 1)
        defer { for i in line.indices { line[i] = 0 } }
        return SecretBytes(line)
    }
}

extension Secrets {
    /// The first line of a file (a stored value kept out of the command line), without its
    /// newline; at most 64 KiB are read, and the buffer is wiped.
    static func readFirstLine(path: String) throws(Failure) -> SecretBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: "cannot open \(path)") }
        defer { close(fd) }
        let buffer = SecretBytes(zeroedCount: 64 * 1024)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { bytes in
                (try? retryingOnInterrupt { Glibc.read(fd, bytes.baseAddress! + filled, bytes.count - filled) }) ?? -1
            }
            if n < 0 { throw Failure(message: "cannot read \(path)") }
            if n == 0 { break }
            filled += n
        }
        var end = buffer.firstIndex(of: UInt8(ascii: "\n")) ?? filled
        end = min(end, filled)
        if end > 0, buffer[safe: end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return buffer.slice(0..<end)
    }
}
