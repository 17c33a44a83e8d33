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
