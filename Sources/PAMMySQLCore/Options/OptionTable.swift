/// The one declarative table of options: the argument name, the config-file key, the type,
/// and whether the value is a secret (never echoed, even with `verbose`).
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
        OptionSpec(argumentName: "verify_cache", configKey: "users.verify_cache", kind: .cacheSeconds { $0.verifyCacheSeconds = $1 }),
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
