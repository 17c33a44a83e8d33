import PAMMySQLCore
import Synchronization

/// Everything the daemon runs with, resolved: the settings (command line over the daemon's file
/// over the defaults) and the services. A `[service NAME]` section of the daemon's file is built
/// at load and replaces `<pam-dir>/NAME` for that service as a whole (no layering: one place
/// says what a service does). Other services are read from the pam.d directory at their first
/// request and kept; a reload (SIGHUP) builds a new configuration, so they are read again.
///
/// Client input names services, so the cache is bounded (`serviceCacheLimit`): beyond it a
/// service is still resolved, just not kept.
public final class AuthdConfiguration: Sendable {
    public static let serviceCacheLimit = 64

    public let commandLine: AuthdCommandLine
    /// The daemon's file that was read; nil when the default one does not exist.
    public let configFile: String?
    public let settings: AuthdSettings
    /// Warnings of the load (a world-readable file), each one log line.
    public let notices: [AuthdNotice]
    /// The `[service]` sections.
    let sections: [ServiceName: PAMServicePlan]
    private let cache = Mutex<[ServiceName: Result<PAMServicePlan, ServiceRefusal>]>([:])

    init(
        commandLine: AuthdCommandLine, configFile: String?, settings: AuthdSettings, sections: [ServiceName: PAMServicePlan],
        notices: [AuthdNotice]
    ) {
        self.commandLine = commandLine
        self.configFile = configFile
        self.settings = settings
        self.sections = sections
        self.notices = notices
    }

    /// The services the daemon's file defines, sorted by name.
    public var configuredServices: [ServiceName] {
        sections.keys.sorted { $0.text < $1.text }
    }

    /// The plan for a service name as the client sent it (checked first). An invalid name is not
    /// logged here: it is client input, and the refusal's message belongs in the daemon's one
    /// failure line for the request.
    public func plan(forService bytes: some Collection<UInt8>, log: LogSink = { _, _ in }) -> Result<PAMServicePlan, ServiceRefusal> {
        do {
            return plan(for: try ServiceName(validating: bytes), log: log)
        } catch {
            return .failure(ServiceRefusal(service: LogText.escaped(bytes: bytes, limit: 64), origin: "", reason: .invalidName(error)))
        }
    }

    /// The plan for `service`: its `[service]` section, or its pam.d file (read once, then kept).
    /// A refusal is kept too, until `forgetServices()` or a reload.
    public func plan(for service: ServiceName) -> Result<PAMServicePlan, ServiceRefusal> {
        plan(for: service) { _, _ in }
    }

    /// The same, sending to `log` what reading the pam.d file found, each time the file is read
    /// (not when the plan comes from the cache): the refusal's one line (LOG_ERR) or the plan's
    /// notices. A `[service]` section's notices are in `notices`, logged at load.
    public func plan(for service: ServiceName, log: LogSink) -> Result<PAMServicePlan, ServiceRefusal> {
        if let section = sections[service] { return .success(section) }
        if let known = cache.withLock({ $0[service] }) { return known }
        let resolved = PAMServiceFileReader.plan(service: service, pamDirectory: settings.pamDir)
        let isNew = cache.withLock { cache in
            // Another thread may have read it meanwhile: one of them logs.
            guard cache[service] == nil else { return false }
            if cache.count < Self.serviceCacheLimit { cache[service] = resolved }
            return true
        }
        if isNew {
            switch resolved {
            case .failure(let refusal): log(.err, refusal.message)
            case .success(let plan): for notice in plan.notices { log(notice.priority, notice.message) }
            }
        }
        return resolved
    }

    /// The plan for a service name as the client sent it when it is known without reading a file
    /// (a `[service]` section, or a pam.d file read before); nil otherwise, refusals included.
    /// Touches no file, so an event loop may call it.
    public func knownPlan(forService bytes: some Collection<UInt8>) -> PAMServicePlan? {
        guard let service = try? ServiceName(validating: bytes) else { return nil }
        if let section = sections[service] { return section }
        if case .success(let plan)? = cache.withLock({ $0[service] }) { return plan }
        return nil
    }

    /// Drops every pam.d service read so far: the next request reads its file again.
    public func forgetServices() {
        cache.withLock { $0.removeAll() }
    }
}
