import AuthDaemonCore

/// A running pam-mysql-authd as `check --postfix` sees it: its command line read back from
/// /proc (relative paths made absolute with its working directory), and its configuration
/// loaded by the daemon's own loader, so the answer is the one the daemon has (or would have
/// after a SIGHUP: the files are read now).
struct AuthdProcess {
    let server: SocketServer
    let commandLine: AuthdCommandLine

    init(_ server: SocketServer) {
        self.server = server
        self.commandLine = Self.parse(Array(server.arguments.dropFirst()), workingDirectory: server.workingDirectory)
    }

    func load() -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        AuthdConfigurationLoader.load(commandLine)
    }

    /// The options of `pam-mysql-authd` that say where its files are (`--name VALUE` or
    /// `--name=VALUE`, as ArgumentParser takes them); the others are skipped.
    static func parse(_ arguments: [String], workingDirectory: String?) -> AuthdCommandLine {
        var commandLine = AuthdCommandLine()
        func absolute(_ path: String) -> String {
            guard !path.hasPrefix("/"), let workingDirectory else { return path }
            return FileSystem.join(workingDirectory, path)
        }
        var index = 0
        while index < arguments.count {
            var name = arguments[index]
            var value: String?
            if let equals = name.firstIndex(of: "="), name.hasPrefix("--") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            let takesValue = ["--config", "--pam-dir", "--saslauthd", "--dovecot", "--control", "--log"].contains(name)
            if takesValue, value == nil, index + 1 < arguments.count {
                index += 1
                value = arguments[index]
            }
            index += 1
            guard takesValue, let value else { continue }
            switch name {
            case "--config": commandLine.configFile = absolute(value)
            case "--pam-dir": commandLine.pamDir = absolute(value)
            case "--saslauthd": commandLine.saslauthdSockets.append(absolute(value))
            case "--dovecot": commandLine.dovecotSockets.append(absolute(value))
            case "--control": commandLine.controlSocket = absolute(value)
            default: commandLine.log = value.hasPrefix("/") || value == "syslog" || value == "stderr" ? value : absolute(value)
            }
        }
        return commandLine
    }
}
