import AuthDaemonCore
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
    /// Dovecot requests in flight on one connection.
    var maximumRequestsPerConnection = 16
    /// Dovecot protocol: refuse PLAIN and LOGIN on a request without `secured` (no TLS).
    var requireSecuredForPlaintext = false
    /// A realm joins the login as `login@realm` (saslauthd -r).
    var joinsRealm = true

    init() {}

    init(_ settings: AuthdSettings) {
        maximumConnections = max(1, settings.limits.maxConnections)
        maximumLineLength = max(64, settings.limits.maxLineLength)
        maximumRequestsPerConnection = max(1, settings.limits.maxRequestsPerConnection)
        let idle = TimeAmount.milliseconds(LoginLimits.milliseconds(settings.limits.idleTimeout))
        dovecotIdle = idle
        saslauthdIdle = min(idle, .seconds(10))
        requireSecuredForPlaintext = settings.requireSecured
        joinsRealm = settings.joinRealm
    }
}
