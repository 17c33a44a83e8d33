import AuthDaemonCore
import Logging
import NIOConcurrencyHelpers
import PAMMySQLCore

/// The configuration in force, swapped whole by a reload (SIGHUP or the control socket's
/// `reload`): a file with an error keeps the one in force, with one log line per error.
/// Resolving a service may read its pam.d file, so it runs on the database threads, never on
/// an event loop; a refused service is logged once per configuration, not once per request.
final class ConfigurationHolder: @unchecked Sendable {
    private let lock = NIOLock()
    private var configuration: AuthdConfiguration
    private var refusalsLogged: Set<String> = []
    private let logger: Logger

    init(_ configuration: AuthdConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    var current: AuthdConfiguration { lock.withLock { configuration } }

    /// Reads everything again; true when the new configuration is in force.
    func reload() -> Bool {
        switch AuthdConfigurationLoader.reload(current) {
        case .failure(let failures):
            for error in failures.errors { logger.error("reload: \(error.message)") }
            logger.error("reload failed: the configuration in force stays (\(failures.errors.count) error(s))")
            return false
        case .success(let loaded):
            for notice in loaded.notices { logger.log(level: notice.priority.loggerLevel, "\(notice.message)") }
            lock.withLock {
                configuration = loaded
                refusalsLogged = []
            }
            logger.info("configuration reloaded\(loaded.configFile.map { " from \($0)" } ?? "")")
            return true
        }
    }

    func plan(forService service: String) -> Result<PAMServicePlan, ServiceRefusal> {
        let configuration = current
        let plan = configuration.plan(forService: Array(service.utf8))
        switch plan {
        case .success(let found):
            logOnce("plan \(found.service.text)") {
                for notice in found.notices { logger.log(level: notice.priority.loggerLevel, "\(notice.message)") }
                logger.info("service \(found.service.text): \(found.origin) read")
            }
        case .failure(let refusal):
            logOnce("refusal \(refusal.service)") { logger.error("\(refusal.message)") }
        }
        return plan
    }

    /// The plan of a service already resolved (and logged) under the configuration in force,
    /// without a thread hop: nil until `plan(forService:)` has run once for it.
    func knownPlan(forService service: String) -> PAMServicePlan? {
        let key = "plan \(service)"
        let resolved: AuthdConfiguration? = lock.withLock { refusalsLogged.contains(key) ? configuration : nil }
        return resolved?.knownPlan(forService: Array(service.utf8))
    }

    /// Runs `body` the first time `key` is seen under the configuration in force (bounded: a
    /// client can name many services).
    private func logOnce(_ key: String, _ body: () -> Void) {
        let first: Bool = lock.withLock {
            guard !refusalsLogged.contains(key) else { return false }
            if refusalsLogged.count < 1024 { refusalsLogged.insert(key) }
            return true
        }
        if first { body() }
    }
}

extension LogPriority {
    var loggerLevel: Logger.Level {
        switch self {
        case .crit: .critical
        case .err: .error
        case .warning: .warning
        case .notice: .notice
        case .info: .info
        case .debug: .debug
        }
    }
}
