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

/// `ssl_mode` values. pam_mysql 1.0-beta's `enforce` is accepted as `require`.
public enum SSLMode: String, Sendable, Equatable {
    /// No TLS, even when other `ssl_*` options are set.
    case disable
    /// TLS when the server offers it, plain otherwise; the certificate is not checked.
    case preferred
    /// TLS or no connection. The certificate chain is checked when ssl_ca/ssl_capath is given
    /// (Connector/C does so whenever a CA is set); the host name is not.
    case require
    /// TLS, certificate chain checked against ssl_ca/ssl_capath (one of them required).
    case verifyCA = "verify_ca"
    /// As verify_ca, and the certificate must name the server (`host` entry, CN or SAN).
    case verifyIdentity = "verify_identity"

    public init?(optionValue: String) {
        let value = asciiLowercased(optionValue)
        if value == "enforce" || value == "required" {
            self = .require
        } else if value == "prefer" {
            self = .preferred
        } else if let mode = SSLMode(rawValue: value) {
            self = mode
        } else {
            return nil
        }
    }

    public var optionValue: String { rawValue }
}

/// Connector/C authentication plugins, by what they give a server that asks for them.
public enum AuthenticationPlugin: String, Sendable, Equatable, CaseIterable {
    /// A scramble of the password's hash (the server chooses the salt): never the password.
    case nativePassword = "mysql_native_password"
    /// An Ed25519 signature of the server's nonce: never the password.
    case ed25519 = "client_ed25519"
    /// MySQL 8's default: without TLS it encrypts the password to an RSA key the server
    /// itself supplies, so a rogue server reads it.
    case cachingSHA2 = "caching_sha2_password"
    /// As caching_sha2_password.
    case sha256 = "sha256_password"
    /// The password in clear (LDAP or PAM authentication on the server).
    case clearPassword = "mysql_clear_password"
    /// Answers the server's prompts with the password in clear.
    case dialog

    /// Allowed on every link.
    public static let neverRevealing: [AuthenticationPlugin] = [.nativePassword, .ed25519]

    /// The comma-separated list of `ssl_auth_plugins`; nil when a name is unknown.
    public static func list(_ value: String) -> [AuthenticationPlugin]? {
        var plugins: [AuthenticationPlugin] = []
        for part in value.split(separator: ",", omittingEmptySubsequences: true) {
            let name = String(decoding: part.utf8.filter { $0 != 32 && $0 != 9 }, as: UTF8.self)
            guard let plugin = AuthenticationPlugin(rawValue: asciiLowercased(name)) else { return nil }
            if !plugins.contains(plugin) { plugins.append(plugin) }
        }
        return plugins
    }
}

/// Why a set of options cannot be used. Each maps to PAM_SERVICE_ERR.
public enum OptionError: Error, Equatable, Sendable {
    /// `crypt=` got a value pam_mysql does not accept (`origin` names the argument or file line).
    case invalidCrypt(origin: String)
    /// `crypt_method=` names no method we can generate.
    case invalidCryptMethod(origin: String)
    /// A timeout that is not a whole number of seconds between 1 and 3600.
    case invalidTimeout(option: String, origin: String)
    /// `default_pass_scheme=` names no Dovecot scheme we know.
    case invalidDefaultPassScheme(origin: String)
    /// `query=` cannot be turned into a prepared statement (`reason` says why).
    case invalidQuery(reason: String, origin: String)
    /// `ssl_mode=` got a value we do not know.
    case invalidSSLMode(origin: String)
    /// `ssl_auth_plugins=` names a plugin we do not know.
    case invalidAuthPlugins(origin: String)
    /// `decoy_hash=` names no method we make decoys of, or a cost out of its range.
    case invalidDecoyHash(origin: String)

    public var message: String {
        switch self {
        case .invalidCrypt(let origin):
            "invalid crypt value (\(origin)): use 0-9 or plain, Y, mysql, md5, sha1, drupal7, joomla15, ssha, sha512, sha256, dovecot"
        case .invalidCryptMethod(let origin):
            "invalid crypt_method value (\(origin)): use yescrypt, sha512, sha256, bcrypt, md5 or des"
        case .invalidTimeout(let option, let origin):
            "invalid \(option) value (\(origin)): use a whole number of seconds from 1 to 3600"
        case .invalidDefaultPassScheme(let origin):
            "invalid default_pass_scheme value (\(origin)): use a Dovecot scheme name such as CRYPT, SHA512-CRYPT or PLAIN"
        case .invalidQuery(let reason, let origin):
            "invalid query value (\(origin)): \(reason)"
        case .invalidSSLMode(let origin):
            "invalid ssl_mode value (\(origin)): use disable, preferred, require (or enforce), verify_ca or verify_identity"
        case .invalidAuthPlugins(let origin):
            "invalid ssl_auth_plugins value (\(origin)): use a comma-separated list of \(AuthenticationPlugin.allCases.map { $0.rawValue }.joined(separator: ", "))"
        case .invalidDecoyHash(let origin):
            "invalid decoy_hash value (\(origin)): use yescrypt[,1-7], bcrypt[,4-16], sha512[,1000-1000000] or sha256[,1000-1000000]"
        }
    }
}
