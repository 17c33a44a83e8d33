import AuthDaemonCore

/// What the control socket's commands do in this daemon: the counters, a reload that is the
/// same as SIGHUP's, and the caches' flush.
struct DaemonControl: ControlCommands {
    let counters: DaemonCounters
    let reloadConfiguration: @Sendable () -> Void
    let login: LoginService

    func status() async -> ControlStatus { counters.snapshot() }

    func reload() async throws { reloadConfiguration() }

    /// Drops the matching entries of the result cache.
    // TODO(verification cache): flush its matching entries too once it is merged.
    func flush(service: String?, user: String?) async -> ControlReply {
        let dropped = login.resultCache.flush(service: service, user: user.map { Array($0.utf8) })
        counters.resultCacheFlushed(count: dropped)
        let scope =
            switch (service, user) {
            case (nil, _): "all services"
            case (let service?, nil): "service \(service)"
            case (let service?, let user?): "user \(user) of service \(service)"
            }
        let off = login.resultCache.isOn ? "" : "; the result cache is off"
        return .done("flushed \(dropped) result cache \(dropped == 1 ? "entry" : "entries") (\(scope)\(off))")
    }
}
