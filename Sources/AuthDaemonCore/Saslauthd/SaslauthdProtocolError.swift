/// Why a saslauthd request is refused before any account is looked at. Its description names the
/// field and the limit, never a byte of a field (the password field is the client's secret, and
/// the others are logged by the caller, escaped, if at all).
public enum SaslauthdProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A count above the limit; saslauthd refuses it as soon as it reads the count.
    case fieldTooLong(SaslauthdField, length: Int, limit: Int)
    /// saslauthd answers `NO NULL login received` (`ipc_unix.c`).
    case emptyLogin
    /// saslauthd answers `NO NULL password received` (`ipc_unix.c`).
    case emptyPassword

    public var description: String {
        switch self {
        case .fieldTooLong(let field, let length, let limit):
            return "saslauthd request: \(field) field of \(length) bytes exceeds the limit of \(limit) bytes"
        case .emptyLogin: return "saslauthd request: empty login"
        case .emptyPassword: return "saslauthd request: empty password"
        }
    }

    /// What saslauthd itself answers: an over-long field gets `NO ` and an empty message
    /// (`send_no(conn_fd, "")`), an empty login or password its `NULL ... received` text.
    public var reply: SaslauthdReply {
        switch self {
        case .fieldTooLong: return .no("")
        case .emptyLogin: return .no("NULL login received")
        case .emptyPassword: return .no("NULL password received")
        }
    }
}
