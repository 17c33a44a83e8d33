import PAMMySQLCore

/// A service name as a client sent it (saslauthd's `service` field, Dovecot's `service=`), checked
/// before it becomes a file name under the pam.d directory: a name is one file in that directory
/// and nothing else.
///
/// Accepted: 1 to `maximumLength` bytes of printable ASCII other than blank and `/`, not starting
/// with `.` (so neither `.`, `..`, nor a hidden file). Stricter than libpam (which takes any name
/// and opens `/etc/pam.d/<name>`): service names are client input here, and real ones (`smtp`,
/// `imap`, `dovecot`, `submission`) are plain words.
public struct ServiceName: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64

    public let text: String

    public init(validating bytes: some Collection<UInt8>) throws(ServiceNameError) {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Self.maximumLength else { throw .tooLong(count: bytes.count) }
        let shown = LogText.escaped(bytes: bytes)
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { throw .controlCharacter(shown: shown) }
            if byte == UInt8(ascii: "/") { throw .slash(shown: shown) }
            if byte == UInt8(ascii: " ") || byte > 0x7E { throw .notPrintableASCII(shown: shown) }
        }
        if bytes.first == UInt8(ascii: ".") { throw .leadingDot(shown: shown) }
        text = String(decoding: bytes, as: UTF8.self)
    }

    public init(validating text: String) throws(ServiceNameError) {
        try self.init(validating: Array(text.utf8))
    }

    public var description: String { text }
}

/// Why a service name is refused. Every message is safe to log: the name is escaped and cut.
public enum ServiceNameError: Error, Equatable, Sendable {
    case empty
    case tooLong(count: Int)
    case controlCharacter(shown: String)
    case slash(shown: String)
    case notPrintableASCII(shown: String)
    /// `.`, `..` or a hidden file.
    case leadingDot(shown: String)

    public var message: String {
        switch self {
        case .empty: "empty service name"
        case .tooLong(let count): "service name of \(count) bytes, more than \(ServiceName.maximumLength)"
        case .controlCharacter(let shown): "service name \"\(shown)\" contains a control character"
        case .slash(let shown): "service name \"\(shown)\" contains \"/\""
        case .notPrintableASCII(let shown): "service name \"\(shown)\" contains a blank or a non-ASCII byte"
        case .leadingDot(let shown): "service name \"\(shown)\" starts with \".\""
        }
    }
}
