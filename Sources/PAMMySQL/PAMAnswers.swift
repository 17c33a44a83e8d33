import AccountDatabase
import PAMMySQLCore

/// The one place where the database layer's decisions become PAM codes.
extension Outcome {
    /// A login: refusals are PAM_AUTH_ERR but for an unknown user (PAM_USER_UNKNOWN); a
    /// database out of reach is PAM_AUTHINFO_UNAVAIL, so stacks can fall back with
    /// `[authinfo_unavail=…]`; a configuration error is PAM_SERVICE_ERR.
    package init(_ decision: LoginDecision) {
        switch decision {
        case .accepted: self = .success
        case .refused(.unknownUser): self = .userUnknown
        case .refused: self = .authError
        case .temporaryFailure: self = .authInfoUnavailable
        case .configurationError: self = .serviceError
        }
    }

    /// An account check. Bit 1 with a non-NULL password is PAM_AUTHTOK_EXPIRED, as in the C
    /// module (its README promised PAM_NEW_AUTHTOK_REQD).
    package init(_ decision: AccountDecision) {
        switch decision {
        case .status(.allowed, _, _): self = .success
        case .status(.expired, _, _): self = .accountExpired
        case .status(.newPasswordRequired, _, _): self = .newAuthtokRequired
        case .status(.passwordExpired, _, _): self = .authtokExpired
        case .failed(let login): self = Outcome(login)
        }
    }

    /// A database failure on its own (a password change's statements).
    package init(_ error: DatabaseError) {
        self = error.kind == .unavailable ? .authInfoUnavailable : .serviceError
    }
}
