import AuthDaemonCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon logs (`--log syslog|stderr|FILE`): by default syslog, plus standard error
/// when that is a terminal. Test machines have no `/dev/log`, so the tests name a file.
enum LogDestination: Equatable {
    case syslog
    case standardError
    case file(String)
    /// No `--log`: syslog, and standard error too on a terminal.
    case automatic

    /// `syslog` is automatic unless the command line asked for syslog alone.
    init(_ target: AuthdLogTarget, fromCommandLine: Bool) {
        switch target {
        case .syslog: self = fromCommandLine ? .syslog : .automatic
        case .stderr: self = .standardError
        case .file(let path): self = .file(path)
        }
    }

    /// Installs the handlers (once per process, before the first Logger is made).
    /// Throws when the file cannot be opened.
    func bootstrap(level: Logger.Level) throws(DaemonStartError) {
        var descriptor: Int32?
        var useSyslog = false
        switch self {
        case .syslog: useSyslog = true
        case .standardError: descriptor = STDERR_FILENO
        case .automatic:
            useSyslog = true
            if isatty(STDERR_FILENO) == 1 { descriptor = STDERR_FILENO }
        case .file(let path):
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard opened >= 0 else {
                throw DaemonStartError("cannot open the log file \(path): \(String(cString: strerror(errno)))")
            }
            descriptor = opened
        }
        if useSyslog { SyslogLogHandler.open() }
        LoggingSystem.bootstrap { _ in
            var handlers: [any LogHandler] = []
            if useSyslog { handlers.append(SyslogLogHandler(logLevel: level)) }
            if let descriptor { handlers.append(DescriptorLogHandler(logLevel: level, descriptor: descriptor)) }
            return MultiplexLogHandler(handlers)
        }
    }
}
