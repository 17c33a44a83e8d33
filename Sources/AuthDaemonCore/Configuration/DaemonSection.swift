import PAMMySQLCore

/// The `[daemon]` section: sockets, logging, protocol choices and limits, from one table of keys
/// (`DaemonSection.table`), each with its value syntax.
enum DaemonSection {
    /// What the section has set so far: the settings, and the sockets' mode and ownership, which
    /// apply once the whole section is read (per protocol, else `socket_*`, else the defaults).
    struct Collected {
        struct Ownership {
            var mode: UInt32?
            var owner: String?
            var group: String?
        }

        var settings: AuthdSettings
        var saslauthdPaths: [String] = []
        var dovecotPaths: [String] = []
        var shared = Ownership()
        var saslauthd = Ownership()
        var dovecot = Ownership()
    }

    /// One key: whether it may repeat, and how its value is stored; `apply` returns what would
    /// be accepted when the value is not.
    struct Key: Sendable {
        let name: String
        var repeats = false
        let apply: @Sendable (inout Collected, String) -> String?
    }

    static let table: [Key] = [
        Key(name: "saslauthd", repeats: true) { collected, value in
            socketPath(value).map { collected.saslauthdPaths.append($0) } == nil ? SettingValue.socketPathExpected : nil
        },
        Key(name: "dovecot", repeats: true) { collected, value in
            socketPath(value).map { collected.dovecotPaths.append($0) } == nil ? SettingValue.socketPathExpected : nil
        },
        Key(name: "control") { collected, value in
            socketPath(value).map { collected.settings.controlSocket.path = $0 } == nil ? SettingValue.socketPathExpected : nil
        },
        mode("socket_mode", \.shared), mode("saslauthd_mode", \.saslauthd), mode("dovecot_mode", \.dovecot),
        account("socket_owner", \.shared.owner), account("saslauthd_owner", \.saslauthd.owner),
        account("dovecot_owner", \.dovecot.owner),
        account("socket_group", \.shared.group), account("saslauthd_group", \.saslauthd.group),
        account("dovecot_group", \.dovecot.group),
        Key(name: "pam_dir") { collected, value in
            SettingValue.path(value, socket: false).map { collected.settings.pamDir = $0 } == nil ? "an absolute path" : nil
        },
        Key(name: "log") { collected, value in
            SettingValue.logTarget(value).map { collected.settings.log = $0 } == nil ? SettingValue.logExpected : nil
        },
        flag("join_realm", \.settings.joinRealm), flag("require_secured", \.settings.requireSecured),
        Key(name: "ok_user") { collected, value in
            OKUserSpelling(rawValue: value).map { collected.settings.okUser = $0 } == nil ? "client or database" : nil
        },
        number("max_connections", 1...1_000_000, \.settings.limits.maxConnections),
        number("max_requests_per_connection", 1...1024, \.settings.limits.maxRequestsPerConnection),
        number("max_line_length", 512...1_048_576, \.settings.limits.maxLineLength, unit: "a number of bytes"),
        number("database_threads", 1...256, \.settings.limits.databaseThreads),
        Key(name: "hash_threads") { collected, value in
            SettingValue.integer(value, in: 1...256).map { collected.settings.limits.hashThreads = $0 } == nil
                ? "a number from 1 to 256" : nil
        },
        seconds("idle_timeout", 1000...86_400_000, \.settings.limits.idleTimeout, expected: "seconds from 1 to 86400"),
        seconds(
            "request_timeout", 100...8000, \.settings.limits.requestTimeout,
            expected: "seconds from 0.1 to 8 (Postfix gives up after 10)"),
        seconds("queue_timeout", 10...8000, \.settings.limits.queueTimeout, expected: "seconds from 0.01 to 8"),
        flag("verification_cache", \.settings.cache.verification), flag("result_cache", \.settings.cache.result),
        seconds("cache_ttl", 1000...86_400_000, \.settings.cache.ttl, expected: "seconds from 1 to 86400"),
        seconds("cache_negative_ttl", CacheSettings.ttlMilliseconds, \.settings.cache.negativeTTL, expected: "seconds from 0 to 86400"),
        number("cache_size", 1...10_000_000, \.settings.cache.size, unit: "a number of entries"),
        flag("cache_stale_if_error", \.settings.cache.staleIfError),
        Key(name: "metrics") { collected, value in
            MetricsEndpoint(parsing: value).map { collected.settings.metrics = $0 } == nil ? MetricsEndpoint.expected : nil
        },
        flag("metrics_public", \.settings.metricsPublic),
        flag("penalty", \.settings.defence.penalty),
        Key(name: "penalty_trusted_networks") { collected, value in
            TrustedNetworks(parsing: value).map { collected.settings.defence.trustedNetworks = $0 } == nil
                ? "IP addresses or prefixes such as 127.0.0.1/32 ::1/128 192.0.2.0/24" : nil
        },
        number("penalty_ipv6_prefix", 1...128, \.settings.defence.ipv6Prefix, unit: "a prefix length"),
        seconds(
            "penalty_max_delay", DefenceSettings.maximumDelayMilliseconds, \.settings.defence.maximumDelay,
            expected: "seconds from 0 to 7.5 (the answer must come within 8 s: Postfix gives up after 10)"),
        number("max_requests_per_address", 0...100_000, \.settings.defence.maximumRequestsPerAddress),
        number("user_lock_failures", 0...1000, \.settings.defence.userLockFailures, unit: "a number of failures"),
        seconds(
            "user_lock_window", DefenceSettings.lockMilliseconds, \.settings.defence.userLockWindow, expected: "seconds from 1 to 604800"),
        seconds("user_lock_time", DefenceSettings.lockMilliseconds, \.settings.defence.userLockTime, expected: "seconds from 1 to 604800"),
    ]

    static var keys: [String] { table.map(\.name) }

    static func apply(
        _ section: AuthdConfigFile.Section, to settings: inout AuthdSettings, path: String, errors: inout [AuthdConfigurationError]
    ) {
        var collected = Collected(settings: settings)
        var seen: Set<String> = []
        for entry in section.entries {
            func report(_ problem: AuthdConfigurationError.Problem) {
                errors.append(AuthdConfigurationError(file: path, line: entry.line, key: entry.key, problem: problem))
            }
            guard let key = table.first(where: { $0.name == entry.key }) else {
                report(.unknownKey(didYouMean: KeySuggestion.closest(to: entry.key, among: keys)))
                continue
            }
            guard key.repeats || seen.insert(key.name).inserted else {
                report(.duplicateKey)
                continue
            }
            if let expected = key.apply(&collected, entry.text) { report(.invalidValue(expected: expected)) }
        }
        settings = collected.settings
        let sasl = AuthdSocket(
            path: "", mode: collected.saslauthd.mode ?? collected.shared.mode ?? AuthdSocket.saslauthdDefaultMode,
            owner: collected.saslauthd.owner ?? collected.shared.owner, group: collected.saslauthd.group ?? collected.shared.group)
        let dovecot = AuthdSocket(
            path: "", mode: collected.dovecot.mode ?? collected.shared.mode ?? AuthdSocket.dovecotDefaultMode,
            owner: collected.dovecot.owner ?? collected.shared.owner, group: collected.dovecot.group ?? collected.shared.group)
        settings.saslauthdSocketDefaults = sasl
        settings.dovecotSocketDefaults = dovecot
        if !collected.saslauthdPaths.isEmpty { settings.saslauthdSockets = collected.saslauthdPaths.map { sasl.at($0) } }
        if !collected.dovecotPaths.isEmpty { settings.dovecotSockets = collected.dovecotPaths.map { dovecot.at($0) } }
    }

    /// Settings that cannot hold together, whichever source set them.
    static func conflicts(in settings: AuthdSettings, path: String) -> [AuthdConfigurationError] {
        var errors: [AuthdConfigurationError] = []
        if settings.limits.queueTimeout >= settings.limits.requestTimeout {
            errors.append(
                AuthdConfigurationError(
                    file: path, key: "queue_timeout", problem: .conflict("queue_timeout must be shorter than request_timeout")))
        }
        if let metrics = settings.metrics, !metrics.isLoopback, !settings.metricsPublic {
            errors.append(
                AuthdConfigurationError(
                    file: path, key: "metrics",
                    problem: .conflict("metrics on \(metrics.text) is not a loopback address; set metrics_public = yes to allow it")))
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

    // MARK: key kinds

    private static func socketPath(_ value: String) -> String? {
        SettingValue.path(value, socket: true)
    }

    private static func mode(_ name: String, _ field: WritableKeyPath<Collected, Collected.Ownership> & Sendable) -> Key {
        Key(name: name) { collected, value in
            guard let mode = SettingValue.mode(value) else { return "an octal mode such as 0660" }
            collected[keyPath: field].mode = mode
            return nil
        }
    }

    private static func account(_ name: String, _ field: WritableKeyPath<Collected, String?> & Sendable) -> Key {
        Key(name: name) { collected, value in
            guard let account = SettingValue.account(value) else { return "a user or group name, or a number" }
            collected[keyPath: field] = account
            return nil
        }
    }

    private static func flag(_ name: String, _ field: WritableKeyPath<Collected, Bool> & Sendable) -> Key {
        Key(name: name) { collected, value in
            guard let flag = SettingValue.boolean(value) else { return "yes or no" }
            collected[keyPath: field] = flag
            return nil
        }
    }

    private static func number(
        _ name: String, _ range: ClosedRange<Int>, _ field: WritableKeyPath<Collected, Int> & Sendable, unit: String = "a number"
    ) -> Key {
        Key(name: name) { collected, value in
            guard let number = SettingValue.integer(value, in: range) else {
                return "\(unit) from \(range.lowerBound) to \(range.upperBound)"
            }
            collected[keyPath: field] = number
            return nil
        }
    }

    private static func seconds(
        _ name: String, _ milliseconds: ClosedRange<Int>, _ field: WritableKeyPath<Collected, Duration> & Sendable, expected: String
    ) -> Key {
        Key(name: name) { collected, value in
            guard let duration = SettingValue.seconds(value, milliseconds: milliseconds) else { return expected }
            collected[keyPath: field] = duration
            return nil
        }
    }
}

extension AuthdSocket {
    /// This socket's mode and ownership at another path.
    func at(_ path: String) -> AuthdSocket {
        var socket = self
        socket.path = path
        return socket
    }
}
