import AuthDaemonCore

/// What the control socket's commands do in this daemon: the counters, a reload that is the
/// same as SIGHUP's, the caches' flush and the user lock's unlock.
struct DaemonControl: ControlCommands {
    let counters: DaemonCounters
    let reloadConfiguration: @Sendable () -> Void
    let login: LoginService
    /// The user lock's `unlock USER`, with the settings in force.
    let unlockUser: @Sendable (String) -> ControlReply

    func status() async -> ControlStatus { counters.snapshot() }

    func reload() async throws { reloadConfiguration() }

    func unlock(user: String) async -> ControlReply { unlockUser(user) }

    /// Drops the matching entries of both caches.
    func flush(service: String?, user: String?) async -> ControlReply {
        let userBytes = user.map { Array($0.utf8) }
        let dropped = login.resultCache.flush(service: service, user: userBytes)
        counters.resultCacheFlushed(count: dropped)
        let verifications = login.flushVerificationCache(service: service, user: userBytes)
        let scope =
            switch (service, user) {
            case (nil, _): "all services"
            case (let service?, nil): "service \(service)"
            case (let service?, let user?): "user \(user) of service \(service)"
            }
        let off = login.resultCache.isOn ? "" : "; the result cache is off"
        return .done(
            "flushed \(dropped) result cache \(dropped == 1 ? "entry" : "entries") and \(verifications) verification cache \(verifications == 1 ? "entry" : "entries") (\(scope)\(off))"
        )
    }
}
