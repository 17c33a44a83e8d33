/// The daemon-wide settings, resolved: the command line over `[daemon]` over the defaults.
public struct AuthdSettings: Sendable, Equatable {
    public var saslauthdSockets: [AuthdSocket] = []
    public var dovecotSockets: [AuthdSocket] = []
    public var controlSocket = AuthdSocket(path: "/run/pam-mysql-authd/control", mode: 0o600)
    public var pamDir = "/etc/pam.d"
    public var log = AuthdLogTarget.syslog
    /// saslauthd `-r`: a non-empty realm makes the login `login@realm`. `no` keeps them apart
    /// (the realm is then not used at all).
    public var joinRealm = true
    /// Dovecot `OK user=`: the name as the client gave it, or the database's spelling.
    public var okUser = OKUserSpelling.client
    /// Refuse PLAIN and LOGIN on a Dovecot connection whose request lacks `secured`.
    public var requireSecured = false
    public var limits = AuthdLimits()
    public var cache = CacheSettings()
    /// The brute-force defences: the penalty per address, the per-user lock.
    public var defence = DefenceSettings()
    /// nil: no metrics endpoint.
    public var metrics: MetricsEndpoint?
    /// `metrics_public = yes`: the endpoint may listen on a non-loopback address.
    public var metricsPublic = false
    /// Mode and ownership for sockets named on the command line (from `[daemon]`).
    var saslauthdSocketDefaults = AuthdSocket(path: "", mode: AuthdSocket.saslauthdDefaultMode)
    var dovecotSocketDefaults = AuthdSocket(path: "", mode: AuthdSocket.dovecotDefaultMode)

    public init() {}
}
