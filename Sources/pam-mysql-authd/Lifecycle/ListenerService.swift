import Logging
import NIOCore
import ServiceLifecycle

/// The listeners as one service of the group: READY=1 once they listen, and at SIGTERM/SIGINT:
/// STOPPING=1, stop accepting, let the logins in flight finish (bounded), close the
/// connections, stop the thread pools.
struct ListenerService: Service {
    /// How long a shutdown waits for logins in flight (each is bounded by the request timeout).
    static let drainLimit = TimeAmount.seconds(9)

    let listeners: ListenerSet
    let login: LoginService
    let notifier: SystemdNotifier?
    let logger: Logger

    func run() async throws {
        notify(notifier?.ready(status: "listening"))
        logger.info("ready")
        try? await gracefulShutdown()
        notify(notifier?.stopping(status: "draining \(login.pendingCount) login(s)"))
        logger.info("shutting down: \(login.pendingCount) login(s) in flight, \(listeners.tracker.count) connection(s)")
        await listeners.closeListeners()
        let until = NIODeadline.now() + Self.drainLimit
        while login.pendingCount > 0, NIODeadline.now() < until {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        if login.pendingCount > 0 { logger.warning("shutdown: \(login.pendingCount) login(s) still in flight, abandoned") }
        // Let the last replies reach their clients before the connections close.
        try? await Task.sleep(nanoseconds: 50_000_000)
        listeners.tracker.closeAll()
        await login.shutdown()
        logger.info("stopped")
    }

    private func notify(_ result: Result<Void, SystemdNotifier.Failure>?) {
        if case .failure(let failure) = result { logger.warning("sd_notify: \(failure)") }
    }
}
