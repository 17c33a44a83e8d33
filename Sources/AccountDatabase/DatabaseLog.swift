import PAMMySQLCore

/// Where a session's log lines go (`pam_syslog` in the module, stderr or syslog in the tools),
/// and whether the step-by-step trace is on. Never given a secret.
package struct DatabaseLog {
    package let sink: LogSink
    package var verbose: Bool

    package init(verbose: Bool = false, sink: @escaping LogSink) {
        self.sink = sink
        self.verbose = verbose
    }

    package func callAsFunction(_ priority: LogPriority, _ message: String) {
        sink(priority, message)
    }

    /// The message is built only when it is logged: escaping the SQL text for a trace nobody
    /// reads cost more per login than the rest of the module's own work.
    package func trace(_ message: @autoclosure () -> String) {
        if verbose { sink(.debug, message()) }
    }
}
