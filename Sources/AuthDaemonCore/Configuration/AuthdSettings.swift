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
    /// Mode and ownership for sockets named on the command line (from `[daemon]`).
    var saslauthdSocketDefaults = AuthdSocket(path: "", mode: AuthdSocket.saslauthdDefaultMode)
    var dovecotSocketDefaults = AuthdSocket(path: "", mode: AuthdSocket.dovecotDefaultMode)

    public init() {}
}

/// A UNIX socket to listen on. `owner`/`group` are names or numbers, resolved by the daemon.
public struct AuthdSocket: Sendable, Equatable {
    public var path: String
    public var mode: UInt32
    public var owner: String?
    public var group: String?

    public init(path: String, mode: UInt32, owner: String? = nil, group: String? = nil) {
        self.path = path
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    /// saslauthd makes its `mux` 0777 and lets the directory decide who may connect; 0666 is
    /// the same without the meaningless execute bits.
    public static let saslauthdDefaultMode: UInt32 = 0o666
    /// Dovecot's documented listener for Postfix: 0660, user and group postfix.
    public static let dovecotDefaultMode: UInt32 = 0o660
}

public enum AuthdLogTarget: Sendable, Equatable {
    /// Syslog, facility mail (and stderr too when it is a terminal: the daemon's choice).
    case syslog
    case stderr
    /// Appended to this absolute path.
    case file(String)
}

public enum OKUserSpelling: String, Sendable, Equatable, CaseIterable {
    case client
    case database
}

/// Bounds, so that a slow or hostile client cannot starve the others.
public struct AuthdLimits: Sendable, Equatable {
    public var maxConnections = 1024
    /// Dovecot connections: requests in flight on one connection.
    public var maxRequestsPerConnection = 16
    /// A connection with nothing in flight for this long is closed.
    public var idleTimeout = Duration.seconds(300)
    /// Every request is answered within this (Postfix waits 10 s): at most 8 s.
    public var requestTimeout = Duration.milliseconds(7500)
    /// A request waiting this long for a database or hashing thread gets a temporary failure.
    public var queueTimeout = Duration.seconds(3)
    /// Longest Dovecot protocol line (and saslauthd request) accepted.
    public var maxLineLength = 8192
    public var databaseThreads = 8
    /// nil: one per core (the daemon counts them).
    public var hashThreads: Int?

    public init() {}

    public static let maximumRequestTimeout = Duration.seconds(8)
}
