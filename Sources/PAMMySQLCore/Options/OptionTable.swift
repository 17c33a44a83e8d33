/// The one declarative table of options: the argument name, the config-file key, the type,
/// and whether the value is a secret (never echoed, even with `verbose`).
///
/// Each field is set by a small non-capturing closure rather than a key path: a key path is
/// instantiated by the Swift runtime at first use (demangling its generic arguments), which
/// cost 0.7 M instructions in every process that authenticates once (`pamtester`, `su`).
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        case text(@Sendable (inout ModuleOptions, String) -> Void)
        case secret(@Sendable (inout ModuleOptions, SecretBytes) -> Void)
        case flag(@Sendable (inout ModuleOptions, Bool) -> Void)
        case seconds(@Sendable (inout ModuleOptions, UInt32) -> Void)
        case crypt
        case cryptMethod
        case decoyHash
        case dovecotScheme
        case query
        case sslMode
        case authPlugins
    }

    /// Name on a pam.d line, or nil when the option exists only in the config file.
    public let argumentName: String?
    /// Key in the config file, or nil when the option cannot be set there.
    public let configKey: String?
    public let kind: Kind
    /// Losing this option (a misspelt name that is ignored) would admit logins it refuses, or
    /// drop TLS: an unknown name close to it fails closed (`MisspeltRestriction`).
    public let isRestriction: Bool

    init(argumentName: String?, configKey: String?, kind: Kind, isRestriction: Bool = false) {
        self.argumentName = argumentName
        self.configKey = configKey
        self.kind = kind
        self.isRestriction = isRestriction
    }

    public var isSecret: Bool {
        if case .secret = kind { return true }
        return false
    }

    /// Every kind but a flag needs `name=value`; a bare `passwd` is a mistake, not an empty value.
    public var takesValue: Bool {
        if case .flag = kind { return false }
        return true
    }
}

public enum OptionTable {
    public static let all: [OptionSpec] = [
        OptionSpec(argumentName: "host", configKey: "users.host", kind: .text { $0.host = $1 }),
        OptionSpec(argumentName: "user", configKey: "users.db_user", kind: .text { $0.user = $1 }),
        OptionSpec(argumentName: "passwd", configKey: "users.db_passwd", kind: .secret { $0.passwd = $1 }),
        OptionSpec(argumentName: "db", configKey: "users.database", kind: .text { $0.db = $1 }),
        OptionSpec(argumentName: "table", configKey: "users.table", kind: .text { $0.table = $1 }),
        OptionSpec(argumentName: "update_table", configKey: "users.update_table", kind: .text { $0.updateTable = $1 }),
        OptionSpec(argumentName: "usercolumn", configKey: "users.user_column", kind: .text { $0.userColumn = $1 }),
        OptionSpec(argumentName: "passwdcolumn", configKey: "users.password_column", kind: .text { $0.passwdColumn = $1 }),
        OptionSpec(argumentName: "statcolumn", configKey: "users.status_column", kind: .text { $0.statColumn = $1 }, isRestriction: true),
        OptionSpec(argumentName: "crypt", configKey: "users.password_crypt", kind: .crypt, isRestriction: true),
        OptionSpec(argumentName: "md5", configKey: "users.use_md5", kind: .flag { $0.md5 = $1 }),
        OptionSpec(argumentName: "crypt_method", configKey: "users.crypt_method", kind: .cryptMethod),
        OptionSpec(argumentName: "use_323_passwd", configKey: "users.use_323_password", kind: .flag { $0.use323Passwd = $1 }),
        OptionSpec(argumentName: "where", configKey: "users.where_clause", kind: .text { $0.whereClause = $1 }, isRestriction: true),
        OptionSpec(argumentName: "sqllog", configKey: "log.enabled", kind: .flag { $0.sqlLog = $1 }),
        OptionSpec(argumentName: "logtable", configKey: "log.table", kind: .text { $0.logTable = $1 }),
        OptionSpec(argumentName: "logmsgcolumn", configKey: "log.message_column", kind: .text { $0.logMessageColumn = $1 }),
        OptionSpec(argumentName: "logusercolumn", configKey: "log.user_column", kind: .text { $0.logUserColumn = $1 }),
        OptionSpec(argumentName: "logpidcolumn", configKey: "log.pid_column", kind: .text { $0.logPIDColumn = $1 }),
        OptionSpec(argumentName: "loghostcolumn", configKey: "log.host_column", kind: .text { $0.logHostColumn = $1 }),
        OptionSpec(argumentName: "logrhostcolumn", configKey: "log.rhost_column", kind: .text { $0.logRHostColumn = $1 }),
        OptionSpec(argumentName: "logtimecolumn", configKey: "log.time_column", kind: .text { $0.logTimeColumn = $1 }),
        OptionSpec(argumentName: "config_file", configKey: nil, kind: .text { $0.configFile = $1 }, isRestriction: true),
        OptionSpec(argumentName: "use_first_pass", configKey: nil, kind: .flag { $0.useFirstPass = $1 }),
        OptionSpec(argumentName: "try_first_pass", configKey: nil, kind: .flag { $0.tryFirstPass = $1 }),
        OptionSpec(
            argumentName: "disconnect_every_op", configKey: "users.disconnect_every_operation",
            kind: .flag { $0.disconnectEveryOperation = $1 }),
        OptionSpec(argumentName: "verbose", configKey: "verbose", kind: .flag { $0.verbose = $1 }),
        OptionSpec(argumentName: "debug", configKey: nil, kind: .flag { $0.verbose = $1 }),
        OptionSpec(argumentName: "nullok", configKey: "nullok", kind: .flag { $0.nullOK = $1 }),
        // New in this module.
        OptionSpec(argumentName: "connect_timeout", configKey: "users.connect_timeout", kind: .seconds { $0.connectTimeout = $1 }),
        OptionSpec(argumentName: "read_timeout", configKey: "users.read_timeout", kind: .seconds { $0.readTimeout = $1 }),
        OptionSpec(argumentName: "write_timeout", configKey: "users.write_timeout", kind: .seconds { $0.writeTimeout = $1 }),
        OptionSpec(argumentName: "default_pass_scheme", configKey: "users.default_pass_scheme", kind: .dovecotScheme),
        OptionSpec(argumentName: "allow_weak_schemes", configKey: "users.allow_weak_schemes", kind: .flag { $0.allowWeakSchemes = $1 }),
        OptionSpec(argumentName: "query", configKey: "users.query", kind: .query, isRestriction: true),
        OptionSpec(argumentName: "failover_retry", configKey: "users.failover_retry", kind: .seconds { $0.failoverRetry = $1 }),
        OptionSpec(argumentName: "ssl_mode", configKey: "users.ssl_mode", kind: .sslMode, isRestriction: true),
        OptionSpec(argumentName: "ssl_ca", configKey: "users.ssl_ca", kind: .text { $0.sslCA = $1 }, isRestriction: true),
        OptionSpec(argumentName: "ssl_capath", configKey: "users.ssl_capath", kind: .text { $0.sslCAPath = $1 }, isRestriction: true),
        OptionSpec(argumentName: "ssl_cert", configKey: "users.ssl_cert", kind: .text { $0.sslCert = $1 }, isRestriction: true),
        OptionSpec(argumentName: "ssl_key", configKey: "users.ssl_key", kind: .text { $0.sslKey = $1 }, isRestriction: true),
        OptionSpec(argumentName: "ssl_cipher", configKey: "users.ssl_cipher", kind: .text { $0.sslCipher = $1 }, isRestriction: true),
        OptionSpec(argumentName: "ssl_auth_plugins", configKey: "users.ssl_auth_plugins", kind: .authPlugins),
        OptionSpec(argumentName: "login_timeout", configKey: "users.login_timeout", kind: .seconds { $0.loginTimeout = $1 }),
        OptionSpec(argumentName: "decoy_hash", configKey: "users.decoy_hash", kind: .decoyHash),
    ]

    public static func argument(named name: String) -> OptionSpec? {
        all.first { $0.argumentName == name }
    }

    public static func configEntry(named key: String) -> OptionSpec? {
        all.first { $0.configKey == key }
    }

    /// pam_mysql's boolean rule: false only for `0`, or `n`, `no`, `false` in any case; anything
    /// else is true, including the empty value of a bare flag (and, surprisingly, `off`).
    public static func isTrue(_ value: String) -> Bool {
        if value == "0" { return false }
        return !["n", "no", "false"].contains(asciiLowercased(value))
    }
}

extension OptionSpec {
    /// Stores `value` into `options`. `origin` says where it came from, for error messages (built
    /// only for one: this runs for every argument of every PAM call).
    public func apply(_ value: SecretBytes, to options: inout ModuleOptions, origin: @autoclosure () -> String) throws(OptionError) {
        let text = { value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        switch kind {
        case .text(let set): set(&options, text())
        case .secret(let set): set(&options, value)
        case .flag(let set): set(&options, OptionTable.isTrue(text()))
        case .crypt:
            guard let mode = CryptMode(optionValue: text()) else { throw .invalidCrypt(origin: origin()) }
            options.crypt = mode
        case .cryptMethod:
            guard let method = CryptMethod(rawValue: asciiLowercased(text())) else { throw .invalidCryptMethod(origin: origin()) }
            options.cryptMethod = method
        case .decoyHash:
            guard let decoy = DecoyHash.configured(text()) else { throw .invalidDecoyHash(origin: origin()) }
            options.decoyHash = decoy
        case .dovecotScheme:
            // Checked now, so a typo fails the line instead of every login; suffixes allowed.
            let name = text()
            guard DovecotSchemes.isKnown(name) else { throw .invalidDefaultPassScheme(origin: origin()) }
            options.defaultPassScheme = name
        case .query:
            switch DovecotQuery.parse(text()) {
            case .success(let query): options.query = query
            case .failure(let error): throw .invalidQuery(reason: error.reason, origin: origin())
            }
        case .sslMode:
            guard let mode = SSLMode(optionValue: text()) else { throw .invalidSSLMode(origin: origin()) }
            options.sslMode = mode
        case .authPlugins:
            guard let plugins = AuthenticationPlugin.list(text()) else { throw .invalidAuthPlugins(origin: origin()) }
            options.sslAuthPlugins = plugins
        case .seconds(let set):
            let digits = text()
            guard !digits.isEmpty, digits.utf8.count <= 4, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let seconds = UInt32(digits), (1...3600).contains(seconds)
            else { throw .invalidTimeout(option: argumentName ?? configKey ?? "timeout", origin: origin()) }
            set(&options, seconds)
        }
    }

    /// The verbose trace line for a value just set; secrets are never echoed.
    public func traceLine(name: String, value: SecretBytes) -> String {
        if isSecret { return "option \(name) is set (value not logged)" }
        return "option \(name) is set to \"\(LogText.escaped(value))\""
    }
}
