import AuthDaemonCore
import Logging
import NIOConcurrencyHelpers
import PAMMySQLCore
import PAMStack

/// The services the daemon answers for, each resolved once from `<pam-dir>/<service>` (its
/// `pam_mysql.so` lines) and kept until SIGHUP. Resolution reads files, so it runs on the
/// database threads, never on an event loop.
///
/// Interim: the conf branch's `PAMServicePlan` / `AuthdConfigurationLoader` replace the
/// parsing here (the daemon's own file, precedence); this keeps the rule the issue states:
/// a stack the daemon cannot honour exactly is refused for that service with one log line.
final class ServiceDirectory: @unchecked Sendable {
    private let lock = NIOLock()
    private var pamDirectory: String
    private var resolved: [String: ServiceResolution] = [:]
    private let logger: Logger

    init(pamDirectory: String, logger: Logger) {
        self.pamDirectory = pamDirectory
        self.logger = logger
    }

    /// Forgets every resolved service (SIGHUP): the next request of each reads its file again.
    func reload(pamDirectory: String) {
        lock.withLock {
            self.pamDirectory = pamDirectory
            resolved = [:]
        }
    }

    func resolve(_ name: String) -> ServiceResolution {
        let (directory, known) = lock.withLock { (pamDirectory, resolved[name]) }
        if let known { return known }
        let resolution = Self.load(name, directory: directory, logger: logger)
        lock.withLock {
            // A bounded cache: only names that exist as files (or the refusal of an invalid name
            // computed again each time) stay.
            if case .refused(.invalidServiceName) = resolution { return }
            if resolved.count < 256 { resolved[name] = resolution }
        }
        return resolution
    }

    /// Service names as libpam would open them: no `/`, not `.` or `..`, printable ASCII.
    static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") }
    }

    private static func load(_ name: String, directory: String, logger: Logger) -> ServiceResolution {
        guard isValid(name) else {
            logger.notice("service \"\(LogText.escaped(name, limit: 64))\" refused: not a valid service name")
            return .refused(.invalidServiceName)
        }
        let path = "\(directory)/\(name)"
        let text: String
        switch TextFile.read(path) {
        case .success(let read): text = read
        case .failure(.missing):
            logger.error("service \(name) refused: \(path) does not exist (libpam would use \"other\"; the daemon does not)")
            return .refused(.unknownService)
        case .failure(.tooLarge):
            logger.error("service \(name) refused: \(path) is too large")
            return .refused(.serviceNotUsable)
        case .failure(.unreadable(let why)):
            logger.error("service \(name) refused: cannot read \(path): \(why)")
            return .refused(.serviceNotUsable)
        }
        let lines = PAMLine.lines(in: text)
        func refuse(_ why: String) -> ServiceResolution {
            logger.error("service \(name) refused: \(path) \(why)")
            return .refused(.serviceNotUsable)
        }
        if let include = lines.first(where: { $0.type == "@include" }) {
            return refuse("line \(include.number): @include is not supported by the daemon")
        }
        let auth = lines.filter { $0.type == "auth" }
        let account = lines.filter { $0.type == "account" }
        guard !auth.isEmpty else { return refuse("has no auth line") }
        for line in auth + account {
            guard line.isOurModule else {
                return refuse("line \(line.number): \(line.type) module \(line.modulePath) is not pam_mysql.so")
            }
            guard !line.ignoresMissingModule else { return refuse("line \(line.number): -\(line.type) lines are not supported") }
            guard ["required", "requisite", "sufficient"].contains(line.control) else {
                return refuse("line \(line.number): control \"\(line.control)\" is not supported (required, requisite, sufficient)")
            }
        }
        let sink: LogSink = { priority, message in logger.log(level: priority.loggerLevel, "service \(name): \(message)") }
        var options = ModuleOptions()
        do {
            for line in auth {
                try ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }, log: sink)
            }
            let authentication = options
            var accountOptions: ModuleOptions?
            if !account.isEmpty {
                for line in account {
                    try ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }, log: sink)
                }
                accountOptions = options
            }
            logger.info("service \(name): \(path) read (\(authentication.crypt.label)\(accountOptions == nil ? ", no account line" : ""))")
            return .plan(ServicePlan(name: name, authentication: authentication, account: accountOptions))
        } catch {
            return refuse("cannot be used: \(error.message)")
        }
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
