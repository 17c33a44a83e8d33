/// What the daemon's command line set: each value, when given, wins over the daemon's file.
/// A socket list given on the command line replaces the file's list for that protocol.
public struct AuthdCommandLine: Sendable, Equatable {
    public static let defaultConfigFile = "/etc/pam-mysql-authd.conf"

    /// `--config FILE`. nil: `defaultConfigFile`, which may be absent (all defaults then);
    /// a file named here must exist.
    public var configFile: String?
    /// `--pam-dir DIR`.
    public var pamDir: String?
    /// `--saslauthd PATH`, repeatable.
    public var saslauthdSockets: [String]
    /// `--dovecot PATH`, repeatable.
    public var dovecotSockets: [String]
    /// `--control PATH`.
    public var controlSocket: String?
    /// `--log syslog|stderr|/path/file`.
    public var log: String?
    /// `--cache-ttl SECONDS`: both caches on, with that TTL.
    public var cacheTTL: String?
    /// `--metrics HOST:PORT`.
    public var metrics: String?

    public init(
        configFile: String? = nil, pamDir: String? = nil, saslauthdSockets: [String] = [], dovecotSockets: [String] = [],
        controlSocket: String? = nil, log: String? = nil, cacheTTL: String? = nil, metrics: String? = nil
    ) {
        self.configFile = configFile
        self.pamDir = pamDir
        self.saslauthdSockets = saslauthdSockets
        self.dovecotSockets = dovecotSockets
        self.controlSocket = controlSocket
        self.log = log
        self.cacheTTL = cacheTTL
        self.metrics = metrics
    }
}
