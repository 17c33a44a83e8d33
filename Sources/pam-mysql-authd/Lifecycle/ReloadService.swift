import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: the configuration is read again (an error keeps the old one, logged), the
/// per-service plans and sessions are dropped; client connections stay open.
struct ReloadService: Service {
    let reload: @Sendable () -> Void

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload()
        }
    }
}
