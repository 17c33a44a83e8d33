/// Every option of pam_mysql 0.8.2 (with Debian's `nullok`) plus our connection timeouts, with
/// pam_mysql's defaults. One value lives per PAM handle and is updated by each line's
/// arguments, so options set on one line stay in force for the next (pam_mysql's "sticky"
/// context, which configurations rely on).
public struct ModuleOptions {
    public var host: String?
    public var user: String?
    public var passwd: SecretBytes?
    public var db: String?
    public var table: String?
    /// Parsed but, as in pam_mysql (every version), never used: updates target `table`.
    public var updateTable: String?
    public var userColumn: String?
    public var passwdColumn: String?
    public var statColumn: String? = "0"
    public var crypt: CryptMode = .plain
    /// Only chooses the salt of new crypt=1 passwords (MD5-crypt). pam_mysql leaves it "unset",
    /// which counts as true.
    public var md5: Bool = true
    /// New: the crypt(3) method for new crypt=1 passwords; nil keeps pam_mysql's `md5` rule.
    public var cryptMethod: CryptMethod?
    public var use323Passwd = false
    public var whereClause: String?
    public var sqlLog = false
    public var logTable: String?
    public var logMessageColumn: String?
    public var logUserColumn: String?
    public var logPIDColumn: String?
    public var logHostColumn: String?
    public var logRHostColumn: String?
    public var logTimeColumn: String?
    public var configFile: String?
    public var useFirstPass = false
    public var tryFirstPass = true
    public var disconnectEveryOperation = false
    public var verbose = false
    public var nullOK = false
    /// New: seconds allowed to establish the connection (TCP, TLS, SQL login).
    public var connectTimeout: UInt32 = 5
    /// New: seconds to wait for each answer of the server.
    public var readTimeout: UInt32 = 5
    /// New: seconds to wait for each write to the server.
    public var writeTimeout: UInt32 = 5
    /// New, crypt=dovecot: the scheme of stored values without a `{SCHEME}` prefix.
    public var defaultPassScheme: String = ModuleOptions.defaultPassSchemeDefault
    /// New, crypt=dovecot: accept the schemes Dovecot 2.4 refuses as weak (MD5-crypt, DES, …).
    public var allowWeakSchemes = false
    /// New: a whole Dovecot-style password SELECT (`%u`, `%n`, `%d`), replacing the built one
    /// for the password look-up.
    public var query: DovecotQuery?

    /// CRYPT, as in Dovecot 2.4 (`passdb_default_password_scheme`): unprefixed crypt(3) values of
    /// every kind work, which is what postfixadmin 4 writes. Dovecot 2.3's SQL default was MD5.
    public static let defaultPassSchemeDefault = "CRYPT"

    /// New: seconds one PAM call may spend on the database in all (every server of a `host`
    /// list, connect, TLS, queries): a login answers within this even when each step uses its
    /// whole timeout. 7 s keeps failover inside the 8 s a daemon answering Postfix has.
    public var loginTimeout: UInt32 = 7
    /// New: authentication plugins allowed in addition to those that never hand the server
    /// the password (`mysql_native_password`, `client_ed25519`), and only on a verified TLS
    /// link (`ssl_mode=verify_ca` or `verify_identity`).
    public var sslAuthPlugins: [AuthenticationPlugin] = []

    /// New: seconds a server of a `host` list that failed to connect is skipped.
    public var failoverRetry: UInt32 = 30
    /// New (pam_mysql 1.0 names): TLS to the database. nil: not set (see `effectiveSSLMode`).
    public var sslMode: SSLMode?
    public var sslCA: String?
    public var sslCAPath: String?
    public var sslCert: String?
    public var sslKey: String?
    public var sslCipher: String?
    /// New: the decoy an unknown user's password is verified against (crypt=1 and
    /// crypt=dovecot), fixed; nil: that of the last stored value verified in this process.
    public var decoyHash: DecoyHash?
    /// New: seconds a password that verified is not hashed again while the stored value the
    /// SELECT returns (and the options) stay the same (the verification cache; 0: off).
    public var verifyCacheSeconds: UInt32 = 0
    /// The longest `verify_cache` (a day, as the daemon's `cache_ttl`).
    public static let maximumVerifyCacheSeconds: UInt32 = 86_400

    /// What the TLS options together ask for: `ssl_mode` when set; without it, any `ssl_*`
    /// option means TLS is wanted, verified when a CA is given (`verify_identity`), else
    /// `require`; no TLS option at all is today's behaviour (`disable`).
    public var effectiveSSLMode: SSLMode {
        if let sslMode { return sslMode }
        if sslCA != nil || sslCAPath != nil { return .verifyIdentity }
        if sslCert != nil || sslKey != nil || sslCipher != nil { return .require }
        return .disable
    }

    public init() {}
}
