#if canImport(Glibc)
import Glibc
#endif

/// A small configuration file read whole (pam.d files are a few hundred bytes).
enum TextFile {
    static let maximumSize = 1 << 20

    enum Failure: Error {
        case missing
        case unreadable(String)
        case tooLarge
    }

    static func read(_ path: String) -> Result<String, Failure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return .failure(errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno))))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= maximumSize else { return .failure(.tooLarge) }
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }
}
