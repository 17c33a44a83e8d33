import NIOCore

/// Per-connection and overall bounds of the listeners, each with its reason.
struct ListenerLimits: Sendable {
    /// Both listeners together; the descriptor limit is raised to fit them.
    var maximumConnections = 4096
    /// Dovecot's AUTH_CLIENT_MAX_LINE_LENGTH.
    var maximumLineLength = 16384
    /// A saslauthd client sends its request in one write: a connection without a whole request
    /// this long is closed.
    var saslauthdIdle = TimeAmount.seconds(10)
    /// Postfix keeps one connection per smtpd process while it runs (max_idle 100 s by default).
    var dovecotIdle = TimeAmount.minutes(15)
    /// The socket file's mode after bind (access is decided by it and its directory).
    var socketMode: UInt32 = 0o660
    /// A realm joins the login as `login@realm` (saslauthd -r).
    var joinsRealm = true
}
