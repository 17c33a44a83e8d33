import AuthDaemonCore

/// What the control socket's commands do in this daemon: the counters, a reload that is the
/// same as SIGHUP's, and the user lock's unlock.
struct DaemonControl: ControlCommands {
    let counters: DaemonCounters
    let reloadConfiguration: @Sendable () -> Void
    /// The user lock's `unlock USER`, with the settings in force.
    let unlockUser: @Sendable (String) -> ControlReply

    func status() async -> ControlStatus { counters.snapshot() }

    func reload() async throws { reloadConfiguration() }

    func unlock(user: String) async -> ControlReply { unlockUser(user) }
}
