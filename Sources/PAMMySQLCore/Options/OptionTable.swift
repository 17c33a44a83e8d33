/// The one declarative table of options: the argument name, the config-file key, the type,
/// and whether the value is a secret (never echoed, even with `verbose`).
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        case text(WritableKeyPath<ModuleOptions, String?> & Sendable)
        case secret(WritableKeyPath<ModuleOptions, SecretBytes?> & Sendable)
        case flag(WritableKeyPath<ModuleOptions, Bool> & Sendable)
        case seconds(WritableKeyPath<ModuleOptions, UInt32> & Sendable)
        case crypt
        case cryptMethod
        case dovecotScheme
        case query
        case sslMode
    }

    /// Name on a pam.d line, or nil when the option exists only in the config file.
    public let argumentName: String?
    /// Key in the config file, or nil when the option cannot be set there.
    public let configKey: String?
    public let kind: Kind

    public var isSecret: Bool {
        if case .secret = kind { return true }
        return false
    }
}

public enum OptionTable {
    public static let all: [OptionSpec] = [
        OptionSpec(argumentName: "host", configKey: "users.host", kind: .text(\.host)),
        OptionSpec(argumentName: "user", configKey: "users.db_user", kind: .text(\.user)),
        OptionSpec(argumentName: "passwd", configKey: "users.db_passwd", kind: .secret(\.passwd)),
        OptionSpec(argumentName: "db", configKey: "users.database", kind: .text(\.db)),
        OptionSpec(argumentName: "table", configKey: "users.table", kind: .text(\.table)),
        OptionSpec(argumentName: "update_table", configKey: "users.update_table", kind: .text(\.updateTable)),
        OptionSpec(argumentName: "usercolumn", configKey: "users.user_column", kind: .text(\.userColumn)),
        OptionSpec(argumentName: "passwdcolumn", configKey: "users.password_column", kind: .text(\.passwdColumn)),
        OptionSpec(argumentName: "statcolumn", configKey: "users.status_column", kind: .text(\.statColumn)),
        OptionSpec(argumentName: "crypt", configKey: "users.password_crypt", kind: .crypt),
        OptionSpec(argumentName: "md5", configKey: "users.use_md5", kind: .flag(\.md5)),
        OptionSpec(argumentName: "crypt_method", configKey: "users.crypt_method", kind: .cryptMethod),
        OptionSpec(argumentName: "use_323_passwd", configKey: "users.use_323_password", kind: .flag(\.use323Passwd)),
        OptionSpec(argumentName: "where", configKey: "users.where_clause", kind: .text(\.whereClause)),
        OptionSpec(argumentName: "sqllog", configKey: "log.enabled", kind: .flag(\.sqlLog)),
        OptionSpec(argumentName: "logtable", configKey: "log.table", kind: .text(\.logTable)),
        OptionSpec(argumentName: "logmsgcolumn", configKey: "log.message_column", kind: .text(\.logMessageColumn)),
        OptionSpec(argumentName: "logusercolumn", configKey: "log.user_column", kind: .text(\.logUserColumn)),
        OptionSpec(argumentName: "logpidcolumn", configKey: "log.pid_column", kind: .text(\.logPIDColumn)),
        OptionSpec(argumentName: "loghostcolumn", configKey: "log.host_column", kind: .text(\.logHostColumn)),
        OptionSpec(argumentName: "logrhostcolumn", configKey: "log.rhost_column", kind: .text(\.logRHostColumn)),
        OptionSpec(argumentName: "logtimecolumn", configKey: "log.time_column", kind: .text(\.logTimeColumn)),
        OptionSpec(argumentName: "config_file", configKey: nil, kind: .text(\.configFile)),
        OptionSpec(argumentName: "use_first_pass", configKey: nil, kind: .flag(\.useFirstPass)),
        OptionSpec(argumentName: "try_first_pass", configKey: nil, kind: .flag(\.tryFirstPass)),
        OptionSpec(
            argumentName: "disconnect_every_op", configKey: "users.disconnect_every_operation",
            kind: .flag(\.disconnectEveryOperation)),
        OptionSpec(argumentName: "verbose", configKey: "verbose", kind: .flag(\.verbose)),
        OptionSpec(argumentName: "debug", configKey: nil, kind: .flag(\.verbose)),
        OptionSpec(argumentName: "nullok", configKey: "nullok", kind: .flag(\.nullOK)),
        // New in this module.
        OptionSpec(argumentName: "connect_timeout", configKey: "users.connect_timeout", kind: .seconds(\.connectTimeout)),
        OptionSpec(argumentName: "read_timeout", configKey: "users.read_timeout", kind: .seconds(\.readTimeout)),
        OptionSpec(argumentName: "write_timeout", configKey: "users.write_timeout", kind: .seconds(\.writeTimeout)),
        OptionSpec(argumentName: "default_pass_scheme", configKey: "users.default_pass_scheme", kind: .dovecotScheme),
        OptionSpec(argumentName: "allow_weak_schemes", configKey: "users.allow_weak_schemes", kind: .flag(\.allowWeakSchemes)),
        OptionSpec(argumentName: "query", configKey: "users.query", kind: .query),
        OptionSpec(argumentName: "failover_retry", configKey: "users.failover_retry", kind: .seconds(\.failoverRetry)),
        OptionSpec(argumentName: "ssl_mode", configKey: "users.ssl_mode", kind: .sslMode),
        OptionSpec(argumentName: "ssl_ca", configKey: "users.ssl_ca", kind: .text(\.sslCA)),
        OptionSpec(argumentName: "ssl_capath", configKey: "users.ssl_capath", kind: .text(\.sslCAPath)),
        OptionSpec(argumentName: "ssl_cert", configKey: "users.ssl_cert", kind: .text(\.sslCert)),
        OptionSpec(argumentName: "ssl_key", configKey: "users.ssl_key", kind: .text(\.sslKey)),
        OptionSpec(argumentName: "ssl_cipher", configKey: "users.ssl_cipher", kind: .text(\.sslCipher)),
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
    /// Stores `value` into `options`. `origin` says where it came from, for error messages.
    public func apply(_ value: SecretBytes, to options: inout ModuleOptions, origin: String) throws(OptionError) {
        let text = { value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        switch kind {
        case .text(let path): options[keyPath: path] = text()
        case .secret(let path): options[keyPath: path] = value
        case .flag(let path): options[keyPath: path] = OptionTable.isTrue(text())
        case .crypt:
            guard let mode = CryptMode(optionValue: text()) else { throw .invalidCrypt(origin: origin) }
            options.crypt = mode
        case .cryptMethod:
            guard let method = CryptMethod(rawValue: asciiLowercased(text())) else { throw .invalidCryptMethod(origin: origin) }
            options.cryptMethod = method
        case .dovecotScheme:
            // Checked now, so a typo fails the line instead of every login; suffixes allowed.
            let name = text()
            guard DovecotSchemes.isKnown(name) else { throw .invalidDefaultPassScheme(origin: origin) }
            options.defaultPassScheme = name
        case .query:
            switch DovecotQuery.parse(text()) {
            case .success(let query): options.query = query
            case .failure(let error): throw .invalidQuery(reason: error.reason, origin: origin)
            }
        case .sslMode:
            guard let mode = SSLMode(optionValue: text()) else { throw .invalidSSLMode(origin: origin) }
            options.sslMode = mode
        case .seconds(let path):
            let digits = text()
            guard !digits.isEmpty, digits.utf8.count <= 4, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let seconds = UInt32(digits), (1...3600).contains(seconds)
            else { throw .invalidTimeout(option: argumentName ?? configKey ?? "timeout", origin: origin) }
            options[keyPath: path] = seconds
        }
    }

    /// The verbose trace line for a value just set; secrets are never echoed.
    public func traceLine(name: String, value: SecretBytes) -> String {
        if isSecret { return "option \(name) is set (value not logged)" }
        return "option \(name) is set to \"\(LogText.escaped(value))\""
    }
}
