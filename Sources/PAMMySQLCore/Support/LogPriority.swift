/// Syslog priorities as the Linux-PAM Module Writers' Guide uses them.
public enum LogPriority: Int32, Sendable {
    case crit = 2
    case err = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7
}

/// Where the core sends its log lines; the PAM layer implements it with `pam_syslog`.
public typealias LogSink = (LogPriority, String) -> Void
