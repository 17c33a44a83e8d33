import AuthDaemonCore

/// The one place where a verdict becomes each protocol's answer.
enum ProtocolReplies {
    /// saslauthd: `OK`; saslauthd's own PAM-backend texts for refusals (scripts grep them); the
    /// empty counted string for a temporary failure (libsasl's SASL_FAIL: Postfix's 454, not 535).
    static func saslauthd(_ verdict: LoginVerdict) -> SaslauthdReply {
        switch verdict {
        case .accepted: .ok
        case .refused(.accountExpired), .refused(.passwordChangeRequired): .no("PAM acct error")
        case .refused: .no("PAM auth error")
        case .temporaryFailure: .temporaryFailure
        }
    }

    /// Dovecot: `OK user=`; `FAIL user=` without saying which of user or password was wrong
    /// (the reason reaches the SMTP client and Postfix logs it); a temporary failure closes the
    /// connection.
    static func dovecot(_ verdict: LoginVerdict, user: [UInt8]) -> DovecotVerdict {
        switch verdict {
        case .accepted(let canonical): .accepted(user: canonical)
        case .refused(.accountExpired): .refused(user: user, reason: "Account expired")
        case .refused(.passwordChangeRequired): .refused(user: user, reason: "Password expired")
        case .refused: .refused(user: user, reason: "Authentication failed")
        case .temporaryFailure: .temporaryFailure
        }
    }
}
