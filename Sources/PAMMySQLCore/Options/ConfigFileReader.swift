#if canImport(Glibc)
import Glibc
#endif

/// Reads the config file named by `config_file`, refusing what cannot be one.
public enum ConfigFileReader {
    /// A config file is a few lines; anything bigger is a mistake (or junk).
    public static let maximumSize = 64 * 1024

    public enum Failure: Error, Equatable, Sendable {
        case cannotOpen(errno: Int32)
        case notARegularFile
        case tooLarge(size: Int)
        case readFailed(errno: Int32)

        public var message: String {
            switch self {
            case .cannotOpen(let code): "cannot be opened (\(errorText(code)))"
            case .notARegularFile: "is not a regular file"
            case .tooLarge(let size): "is \(size) bytes, more than \(ConfigFileReader.maximumSize)"
            case .readFailed(let code): "cannot be read (\(errorText(code)))"
            }
        }
    }

    public struct Contents {
        public let text: SecretBytes
        /// Other users can read it, though it holds the database password.
        public let isWorldReadable: Bool
    }

    public static func read(path: String) -> Result<Contents, Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { return .failure(.cannotOpen(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.readFailed(errno: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notARegularFile) }
        guard info.st_size <= maximumSize else { return .failure(.tooLarge(size: Int(info.st_size))) }
        let text = SecretBytes(zeroedCount: Int(info.st_size))
        var filled = 0
        let failure: Failure? = text.withUnsafeMutableBytes { buffer in
            while filled < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if n < 0, errno == EINTR { continue }
                if n < 0 { return .readFailed(errno: errno) }
                if n == 0 { break }
                filled += n
            }
            return nil
        }
        if let failure { return .failure(failure) }
        return .success(Contents(text: text.slice(0..<filled), isWorldReadable: info.st_mode & S_IROTH != 0))
    }
}

func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}
