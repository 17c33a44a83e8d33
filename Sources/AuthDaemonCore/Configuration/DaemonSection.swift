import PAMMySQLCore

/// The `[daemon]` section: sockets, logging, protocol choices and limits.
enum DaemonSection {
    /// Keys that may repeat (each adds a socket).
    static let repeatable: Set<String> = ["saslauthd", "dovecot"]
    static let keys = [
        "saslauthd", "dovecot", "control", "socket_mode", "socket_owner", "socket_group", "saslauthd_mode", "saslauthd_owner",
        "saslauthd_group", "dovecot_mode", "dovecot_owner", "dovecot_group", "pam_dir", "log", "join_realm", "ok_user",
        "require_secured", "max_connections", "max_requests_per_connection", "idle_timeout", "request_timeout", "queue_timeout",
        "max_line_length", "database_threads", "hash_threads",
    ]

    static func apply(
        _ section: AuthdConfigFile.Section, to settings: inout AuthdSettings, path: String, errors: inout [AuthdConfigurationError]
    ) {
        var seen: Set<String> = []
        var sasl: [String] = []
        var dovecot: [String] = []
        // Socket ownership: per protocol, else socket_*, else the defaults.
        var shared: (mode: UInt32?, owner: String?, group: String?) = (nil, nil, nil)
        var saslOwn: (mode: UInt32?, owner: String?, group: String?) = (nil, nil, nil)
        var dovecotOwn: (mode: UInt32?, owner: String?, group: String?) = (nil, nil, nil)
        for entry in section.entries {
            func fail(_ expected: String) {
                errors.append(
                    AuthdConfigurationError(file: path, line: entry.line, key: entry.key, problem: .invalidValue(expected: expected)))
            }
            guard keys.contains(entry.key) else {
                let meant = KeySuggestion.closest(to: entry.key, among: keys)
                errors.append(
                    AuthdConfigurationError(file: path, line: entry.line, key: entry.key, problem: .unknownKey(didYouMean: meant)))
                continue
            }
            if !repeatable.contains(entry.key), !seen.insert(entry.key).inserted {
                errors.append(AuthdConfigurationError(file: path, line: entry.line, key: entry.key, problem: .duplicateKey))
                continue
            }
            let value = entry.text
            let limits = (
                connections: 1...1_000_000, perConnection: 1...1024, line: 512...1_048_576, threads: 1...256
            )
            switch entry.key {
            case "saslauthd", "dovecot", "control":
                guard let socket = SettingValue.path(value, socket: true) else {
                    fail(SettingValue.socketPathExpected)
                    continue
                }
                if entry.key == "saslauthd" { sasl.append(socket) }
                if entry.key == "dovecot" { dovecot.append(socket) }
                if entry.key == "control" { settings.controlSocket.path = socket }
            case "socket_mode", "saslauthd_mode", "dovecot_mode":
                guard let mode = SettingValue.mode(value) else {
                    fail("an octal mode such as 0660")
                    continue
                }
                if entry.key == "socket_mode" { shared.mode = mode }
                if entry.key == "saslauthd_mode" { saslOwn.mode = mode }
                if entry.key == "dovecot_mode" { dovecotOwn.mode = mode }
            case "socket_owner", "saslauthd_owner", "dovecot_owner", "socket_group", "saslauthd_group", "dovecot_group":
                guard let name = SettingValue.account(value) else {
                    fail("a user or group name, or a number")
                    continue
                }
                switch entry.key {
                case "socket_owner": shared.owner = name
                case "saslauthd_owner": saslOwn.owner = name
                case "dovecot_owner": dovecotOwn.owner = name
                case "socket_group": shared.group = name
                case "saslauthd_group": saslOwn.group = name
                default: dovecotOwn.group = name
                }
            case "pam_dir":
                guard let directory = SettingValue.path(value, socket: false) else {
                    fail("an absolute path")
                    continue
                }
                settings.pamDir = directory
            case "log":
                guard let target = SettingValue.logTarget(value) else {
                    fail(SettingValue.logExpected)
                    continue
                }
                settings.log = target
            case "join_realm", "require_secured":
                guard let flag = SettingValue.boolean(value) else {
                    fail("yes or no")
                    continue
                }
                if entry.key == "join_realm" { settings.joinRealm = flag } else { settings.requireSecured = flag }
            case "ok_user":
                guard let spelling = OKUserSpelling(rawValue: value) else {
                    fail("client or database")
                    continue
                }
                settings.okUser = spelling
            case "max_connections":
                guard let n = SettingValue.integer(value, in: limits.connections) else {
                    fail("a number from 1 to 1000000")
                    continue
                }
                settings.limits.maxConnections = n
            case "max_requests_per_connection":
                guard let n = SettingValue.integer(value, in: limits.perConnection) else {
                    fail("a number from 1 to 1024")
                    continue
                }
                settings.limits.maxRequestsPerConnection = n
            case "max_line_length":
                guard let n = SettingValue.integer(value, in: limits.line) else {
                    fail("a number of bytes from 512 to 1048576")
                    continue
                }
                settings.limits.maxLineLength = n
            case "database_threads", "hash_threads":
                guard let n = SettingValue.integer(value, in: limits.threads) else {
                    fail("a number from 1 to 256")
                    continue
                }
                if entry.key == "database_threads" { settings.limits.databaseThreads = n } else { settings.limits.hashThreads = n }
            case "idle_timeout":
                guard let d = SettingValue.seconds(value, milliseconds: 1000...86_400_000) else {
                    fail("seconds from 1 to 86400")
                    continue
                }
                settings.limits.idleTimeout = d
            case "request_timeout":
                guard let d = SettingValue.seconds(value, milliseconds: 100...8000) else {
                    fail("seconds from 0.1 to 8 (Postfix gives up after 10)")
                    continue
                }
                settings.limits.requestTimeout = d
            case "queue_timeout":
                guard let d = SettingValue.seconds(value, milliseconds: 10...8000) else {
                    fail("seconds from 0.01 to 8")
                    continue
                }
                settings.limits.queueTimeout = d
            default:
                continue
            }
        }
        let saslMode = saslOwn.mode ?? shared.mode ?? AuthdSocket.saslauthdDefaultMode
        let dovecotMode = dovecotOwn.mode ?? shared.mode ?? AuthdSocket.dovecotDefaultMode
        if !sasl.isEmpty {
            settings.saslauthdSockets = sasl.map {
                AuthdSocket(path: $0, mode: saslMode, owner: saslOwn.owner ?? shared.owner, group: saslOwn.group ?? shared.group)
            }
        }
        if !dovecot.isEmpty {
            settings.dovecotSockets = dovecot.map {
                AuthdSocket(path: $0, mode: dovecotMode, owner: dovecotOwn.owner ?? shared.owner, group: dovecotOwn.group ?? shared.group)
            }
        }
        settings.saslauthdSocketDefaults = AuthdSocket(
            path: "", mode: saslMode, owner: saslOwn.owner ?? shared.owner, group: saslOwn.group ?? shared.group)
        settings.dovecotSocketDefaults = AuthdSocket(
            path: "", mode: dovecotMode, owner: dovecotOwn.owner ?? shared.owner, group: dovecotOwn.group ?? shared.group)
    }

    /// Settings that cannot hold together, whichever source set them.
    static func conflicts(in settings: AuthdSettings, path: String) -> [AuthdConfigurationError] {
        var errors: [AuthdConfigurationError] = []
        if settings.limits.queueTimeout >= settings.limits.requestTimeout {
            errors.append(
                AuthdConfigurationError(
                    file: path, key: "queue_timeout", problem: .conflict("queue_timeout must be shorter than request_timeout")))
        }
        var paths: Set<String> = []
        for socket in settings.saslauthdSockets + settings.dovecotSockets + [settings.controlSocket]
        where !paths.insert(socket.path).inserted {
            errors.append(
                AuthdConfigurationError(
                    file: path,
                    problem: .conflict("socket \(LogText.escaped(socket.path)) is named twice (each socket serves one protocol)")))
        }
        return errors
    }
}
