import AuthDaemonCore

/// What the control socket asks of the daemon; the daemon implements it and ControlHandler calls
/// it. The commands run off the event loop (a reload reads files), one at a time per connection.
protocol ControlCommands: Sendable {
    /// The counters now (ControlStatus formats them).
    func status() async -> ControlStatus
    /// Re-reads the configuration as SIGHUP does; throws with the reason when the new one has
    /// an error (the old one stays in force).
    func reload() async throws
    /// Drops cached decisions: all, a service's, or one user's in a service (issue 15).
    func flush(service: String?, user: String?) async -> ControlReply
    /// Lifts a user's lockout (issue 16).
    func unlock(user: String) async -> ControlReply
}

extension ControlCommands {
    /// Until the cache exists.
    func flush(service: String?, user: String?) async -> ControlReply { .notSupported(verb: "flush") }
    /// Until the lockout exists.
    func unlock(user: String) async -> ControlReply { .notSupported(verb: "unlock") }

    /// The one place a parsed command becomes a reply.
    func run(_ command: ControlCommand) async -> ControlReply {
        switch command {
        case .status:
            return .status(await status())
        case .reload:
            do {
                try await reload()
                return .done("configuration reloaded")
            } catch {
                return .failed("reload failed, the previous configuration stays: \(error)")
            }
        case .flush(let service, let user):
            return await flush(service: service, user: user)
        case .unlock(let user):
            return await unlock(user: user)
        }
    }
}
