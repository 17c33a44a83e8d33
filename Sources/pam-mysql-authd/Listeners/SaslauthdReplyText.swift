import AuthDaemonCore

/// The one place where a verdict becomes saslauthd's reply: the texts of saslauthd's PAM
/// backend for refusals (scripts grep them), and the empty counted string for a temporary
/// failure (libsasl's SASL_FAIL, which Postfix answers with 454, not 535).
enum SaslauthdReplyText {
    static func reply(_ verdict: LoginVerdict) -> [UInt8] {
        switch verdict {
        case .accepted: Array("OK".utf8)
        case .refused(.accountExpired), .refused(.passwordChangeRequired): Array("NO PAM acct error".utf8)
        case .refused: Array("NO PAM auth error".utf8)
        case .temporaryFailure: []
        }
    }

    static let emptyLogin = Array("NO NULL login received".utf8)
    static let emptyPassword = Array("NO NULL password received".utf8)
    /// saslauthd's answer to a field over MAX_REQ_LEN.
    static let fieldTooLong = Array("NO ".utf8)
}
