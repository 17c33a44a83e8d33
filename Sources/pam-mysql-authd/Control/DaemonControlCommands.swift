import AuthDaemonCore

/// The daemon's side of the control socket: counters from DaemonCounters, reload through the
/// same closure SIGHUP runs. flush and unlock keep ControlCommands' "not supported yet" until
/// the cache and the lockout exist.
struct DaemonControlCommands: ControlCommands {
    let counters: DaemonCounters
    /// Throws with the reason when the new configuration is refused (the old one stays).
    let reloadConfiguration: @Sendable () async throws -> Void

    func status() async -> ControlStatus { counters.snapshot() }

    func reload() async throws { try await reloadConfiguration() }
}
