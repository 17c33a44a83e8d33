import AccountDatabase
import AuthDaemonCore

/// The one place where the database layer's decisions become the daemon's verdicts (the
/// listeners turn verdicts into protocol replies in their own one place each).
enum LoginVerdictMapping {
    static func verdict(_ decision: LoginDecision, user: [UInt8]) -> LoginVerdict {
        switch decision {
        case .accepted: .accepted(canonicalUser: user)
        case .refused(.wrongPassword): .refused(.passwordMismatch)
        case .refused(.unknownUser): .refused(.unknownUser)
        case .refused(.noPassword): .refused(.noPassword)
        case .refused(.emptyStoredPassword): .refused(.emptyStoredPassword)
        case .refused(.passwordTooLong): .refused(.passwordTooLong)
        case .refused(.malformedStoredValue): .refused(.malformedStoredValue)
        case .temporaryFailure: .temporaryFailure(.databaseUnavailable)
        // An administrator must act (SQL error, duplicate rows, a crypt=dovecot row Dovecot
        // would call an internal failure): the user did nothing wrong, so no NO/FAIL that
        // fail2ban would count; the cause is logged at error by the session.
        case .configurationError: .temporaryFailure(.configurationError)
        }
    }

    /// saslauthd's PAM path after a good password: `pam_acct_mgmt`, here the account decision.
    static func verdict(_ decision: AccountDecision, user: [UInt8]) -> LoginVerdict {
        switch decision {
        case .status(.allowed, _, _): .accepted(canonicalUser: user)
        case .status(.expired, _, _): .refused(.accountExpired)
        case .status(.newPasswordRequired, _, _), .status(.passwordExpired, _, _): .refused(.passwordChangeRequired)
        // The row vanished between the two statements: the account check refuses.
        case .failed(.accepted): .refused(.unknownUser)
        case .failed(let login): verdict(login, user: user)
        }
    }
}
