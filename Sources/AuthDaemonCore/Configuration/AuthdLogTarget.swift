/// Where the daemon logs (`log =`, `--log`).
public enum AuthdLogTarget: Sendable, Equatable {
    /// Syslog, facility mail (and stderr too when it is a terminal: the daemon's choice).
    case syslog
    case stderr
    /// Appended to this absolute path.
    case file(String)
}
