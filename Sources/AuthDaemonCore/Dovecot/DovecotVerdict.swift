/// The daemon's answer to a `DovecotLoginAttempt`.
public enum DovecotVerdict: Sendable, Equatable {
    /// `OK\t<id>\tuser=<user>`: the name Postfix then uses as `sasl_username` (the client's
    /// spelling, or the database's).
    case accepted(user: [UInt8])
    /// `FAIL\t<id>[\tuser=<user>][\treason=<reason>]`: Postfix answers 535 (fail2ban counts it).
    /// The reason is shown to the SMTP client: never say which of user or password was wrong.
    case refused(user: [UInt8]?, reason: String)
    /// No answer could be had (database unreachable, overload, deadline): the connection is
    /// closed, which Postfix reports as "Connection lost to authentication server" and answers
    /// with 454 (retryable; a FAIL would be a 535).
    case temporaryFailure
}
