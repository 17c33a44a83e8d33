#if canImport(Glibc)
import Glibc
#endif

/// Reads the config file named by `config_file`, refusing what cannot be one, or what someone
/// other than root and the user the module runs as could have written (`TrustedFileOpener`).
public enum ConfigFileReader {
    /// A config file is a few lines; anything bigger is a mistake (or junk).
    public static let maximumSize = 64 * 1024

    /// Why the file is not used. Messages follow "config file <path> "; none quotes the file.
    public enum Failure: Error, Equatable, Sendable {
        /// `su` and `sudo` run PAM in the caller's working directory: a relative path would be
        /// the caller's file.
        case relativePath
        case cannotOpen(errno: Int32)
        case notARegularFile
        case tooLarge(size: Int)
        case readFailed(errno: Int32)
        /// Owned by a user other than root or the effective user.
        case untrustedOwner(uid: UInt32)
        /// Writable by its group or by others.
        case writableByOthers(mode: UInt32)
        /// A directory above the file is owned by a user other than root or the effective user.
        case untrustedDirectory(path: String, uid: UInt32)
        /// A directory above the file that its group or others may write (they could rename the
        /// file away and put their own in its place), other than a root-owned sticky one.
        case writableDirectory(path: String, mode: UInt32)

        public var message: String {
            switch self {
            case .relativePath:
                "is not an absolute path (it would be looked up in the calling program's working directory)"
            case .cannotOpen(let code): "cannot be opened (\(errorText(code)))"
            case .notARegularFile: "is not a regular file"
            case .tooLarge(let size): "is \(size) bytes, more than \(ConfigFileReader.maximumSize)"
            case .readFailed(let code): "cannot be read (\(errorText(code)))"
            case .untrustedOwner(let uid):
                "is owned by uid \(uid): it must belong to root or to the user the module runs as"
            case .writableByOthers(let mode):
                "can be written by its group or by others (mode \(octal(mode))): chmod go-w it"
            case .untrustedDirectory(let path, let uid):
                "is in directory \(LogText.escaped(path)), owned by uid \(uid): every directory above the file must belong to root or to the user the module runs as"
            case .writableDirectory(let path, let mode):
                "is in directory \(LogText.escaped(path)), which its group or others can write (mode \(octal(mode))) and which is not a root-owned sticky directory"
            }
        }
    }

    public struct Contents {
        public let text: SecretBytes
        /// Other users can read it, though it holds the database password.
        public let isWorldReadable: Bool
    }

    public static func read(path: String) -> Result<Contents, Failure> {
        let opened: TrustedFileOpener.Opened
        switch TrustedFileOpener.open(path) {
        case .failure(let failure): return .failure(failure)
        case .success(let file): opened = file
        }
        let fd = opened.descriptor
        defer { close(fd) }
        let info = opened.info
        guard info.st_size <= maximumSize else { return .failure(.tooLarge(size: Int(info.st_size))) }
        let text = SecretBytes(zeroedCount: Int(info.st_size))
        var filled = 0
        let failure: Failure? = text.withUnsafeMutableBytes { buffer -> Failure? in
            guard let base = buffer.baseAddress else { return nil }
            while filled < buffer.count {
                let n: Int
                do throws(SystemCallError) {
                    n = try retryingOnInterrupt { Glibc.read(fd, base + filled, buffer.count - filled) }
                } catch {
                    return .readFailed(errno: error.errno)
                }
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

/// `0640`-style, the way chmod and ls show a mode.
func octal(_ mode: UInt32) -> String {
    let digits = String(mode & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
