/// The command line over the daemon's file: each value given replaces the file's; a socket list
/// replaces the file's list for its protocol (the sockets keep the file's mode and ownership).
enum CommandLineOverrides {
    static let origin = "command line"

    static func apply(_ commandLine: AuthdCommandLine, to settings: inout AuthdSettings, errors: inout [AuthdConfigurationError]) {
        func fail(_ option: String, _ expected: String) {
            errors.append(AuthdConfigurationError(file: origin, key: option, problem: .invalidValue(expected: expected)))
        }
        func sockets(_ paths: [String], option: String, template: AuthdSocket) -> [AuthdSocket]? {
            var result: [AuthdSocket] = []
            for path in paths {
                guard let checked = SettingValue.path(path, socket: true) else {
                    fail(option, SettingValue.socketPathExpected)
                    return nil
                }
                var socket = template
                socket.path = checked
                result.append(socket)
            }
            return result
        }
        if !commandLine.saslauthdSockets.isEmpty,
            let list = sockets(commandLine.saslauthdSockets, option: "--saslauthd", template: settings.saslauthdSocketDefaults)
        {
            settings.saslauthdSockets = list
        }
        if !commandLine.dovecotSockets.isEmpty,
            let list = sockets(commandLine.dovecotSockets, option: "--dovecot", template: settings.dovecotSocketDefaults)
        {
            settings.dovecotSockets = list
        }
        if let control = commandLine.controlSocket {
            if let path = SettingValue.path(control, socket: true) {
                settings.controlSocket.path = path
            } else {
                fail("--control", SettingValue.socketPathExpected)
            }
        }
        if let directory = commandLine.pamDir {
            if let path = SettingValue.path(directory, socket: false) {
                settings.pamDir = path
            } else {
                fail("--pam-dir", "an absolute path")
            }
        }
        if let log = commandLine.log {
            if let target = SettingValue.logTarget(log) { settings.log = target } else { fail("--log", SettingValue.logExpected) }
        }
        if let ttl = commandLine.cacheTTL {
            if let duration = SettingValue.seconds(ttl, milliseconds: CacheSettings.ttlMilliseconds), duration > .zero {
                settings.cache.ttl = duration
                settings.cache.verification = true
                settings.cache.result = true
            } else {
                fail("--cache-ttl", "seconds from 1 to 86400")
            }
        }
        if let metrics = commandLine.metrics {
            if let endpoint = MetricsEndpoint(parsing: metrics) {
                settings.metrics = endpoint
            } else {
                fail("--metrics", MetricsEndpoint.expected)
            }
        }
    }
}
