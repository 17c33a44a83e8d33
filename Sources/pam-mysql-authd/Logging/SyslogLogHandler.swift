import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Sends each line to syslog(3) as `pam-mysql-authd[PID]`, facility mail (Postfix's and
/// fail2ban's usual place). `openlog` runs once, at bootstrap; the message is passed as an
/// argument of `%s`, never as the format.
struct SyslogLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .info

    /// The ident must outlive every syslog call: openlog keeps the pointer.
    nonisolated(unsafe) private static let ident: UnsafeMutablePointer<CChar> = strdup("pam-mysql-authd")

    static func open() {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = LogLineText.message(event)
        text.withCString { line in
            vsyslogLine(Self.priority(event.level), line)
        }
    }

    /// syslog(3)'s priority for a swift-log level.
    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }
}

/// `syslog(priority, "%s", line)`: Swift cannot call the variadic syslog directly.
private func vsyslogLine(_ priority: Int32, _ line: UnsafePointer<CChar>) {
    withVaList([line]) { arguments in
        vsyslog(priority, "%s", arguments)
    }
}
