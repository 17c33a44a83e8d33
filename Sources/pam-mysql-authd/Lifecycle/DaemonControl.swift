import AuthDaemonCore

/// What the control socket's commands do in this daemon: the counters, and a reload that is
/// the same as SIGHUP's.
struct DaemonControl: ControlCommands {
    let counters: DaemonCounters
    let reloadConfiguration: @Sendable () -> Void

    func status() async -> ControlStatus { counters.snapshot() }

    func reload() async throws { reloadConfiguration() }
}
