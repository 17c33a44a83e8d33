/// What the daemon answers one login with, whatever the protocol: the listeners map it to
/// `OK` / `NO` / the empty reply (saslauthd) and `OK` / `FAIL` / a closed connection (Dovecot).
public enum LoginVerdict: Equatable, Sendable {
    /// The user logs in; `canonicalUser` is the name to report (Dovecot's `user=`).
    case accepted(canonicalUser: [UInt8])
    /// The user's doing (wrong password, unknown user, expired account): NO / FAIL, which
    /// Postfix answers with 535 and fail2ban counts.
    case refused(LoginFailureReason)
    /// Nobody's fault that the user could see (database out of reach, overload, timeout):
    /// never a NO / FAIL, so Postfix answers 454 and fail2ban counts nothing.
    case temporaryFailure(LoginFailureReason)
}

/// Why a login did not succeed, as the log line says it (`reason="…"`). The texts are stable:
/// fail2ban filters and the tests match them.
public enum LoginFailureReason: Equatable, Sendable {
    case passwordMismatch
    case unknownUser
    case noPassword
    case emptyStoredPassword
    case passwordTooLong
    case malformedStoredValue
    case accountExpired
    case passwordChangeRequired
    case invalidUserName
    /// The client's request itself (bad base64, an authzid naming someone else…).
    case protocolViolation(String)
    case invalidServiceName
    case unknownService
    case serviceNotUsable
    /// The service's stack failed without a pam_mysql failure (`pam_deny.so`, or only
    /// `sufficient` lines that all failed).
    case deniedByService
    case configurationError
    /// The user is locked (`user_lock_failures`): answered as a wrong password would be.
    case locked
    /// `max_requests_per_address` requests from the client's address are in progress.
    case tooManyFromAddress
    case databaseUnavailable
    case queueTimeout
    case overloaded
    case requestTimeout
    case shuttingDown

    public var text: String {
        switch self {
        case .passwordMismatch: "password mismatch"
        case .unknownUser: "unknown user"
        case .noPassword: "no password"
        case .emptyStoredPassword: "empty stored password"
        case .passwordTooLong: "password too long"
        case .malformedStoredValue: "stored password not valid"
        case .accountExpired: "account expired"
        case .passwordChangeRequired: "password change required"
        case .invalidUserName: "invalid user name"
        case .protocolViolation(let what): what
        case .invalidServiceName: "invalid service name"
        case .unknownService: "unknown service"
        case .serviceNotUsable: "service not usable"
        case .deniedByService: "denied by the service's stack"
        case .configurationError: "configuration error"
        case .locked: "locked"
        case .tooManyFromAddress: "too many requests from the address"
        case .databaseUnavailable: "database unavailable"
        case .queueTimeout: "queue timeout"
        case .overloaded: "overloaded"
        case .requestTimeout: "request timeout"
        case .shuttingDown: "shutting down"
        }
    }
}
