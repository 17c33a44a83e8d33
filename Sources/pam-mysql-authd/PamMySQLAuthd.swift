import ArgumentParser
import AuthDaemonCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `pam-mysql-authd`: saslauthd's and Dovecot's auth protocols on UNIX sockets, answered with
/// the module's own options and decisions, without saslauthd or libpam. Always in the foreground.
@main
struct PamMySQLAuthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pam-mysql-authd",
        abstract: "Answers Postfix and Cyrus SASL (saslauthd and Dovecot auth protocols) from the pam_mysql user table.",
        // Listed for --help and `help ctl`; main() dispatches it. Without it the daemon runs, as it always did.
        subcommands: [ControlCommandLine.self])

    /// `ctl` is taken off before ArgumentParser sees the daemon's options: parsed below the
    /// root, `ctl --control PATH` would give PATH to the daemon's own `--control`, not ctl's.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == ControlCommandLine.configuration.commandName {
            ControlCommandLine.main(Array(arguments.dropFirst()))
        } else {
            await main(arguments)
        }
    }

    @Option(help: ArgumentHelp("The daemon's configuration file.", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("pam-dir"), help: ArgumentHelp("Where the services' pam.d files are.", valueName: "DIR"))
    var pamDirectory: String?

    @Option(name: .customLong("saslauthd"), help: ArgumentHelp("Listen for saslauthd's protocol on this socket.", valueName: "PATH"))
    var saslauthdSockets: [String] = []

    @Option(name: .customLong("dovecot"), help: ArgumentHelp("Listen for Dovecot's auth protocol on this socket.", valueName: "PATH"))
    var dovecotSockets: [String] = []

    @Option(help: ArgumentHelp("The control socket (root only).", valueName: "PATH"))
    var control: String?

    @Option(help: ArgumentHelp("syslog, stderr or a file (default: syslog, plus stderr on a terminal).", valueName: "WHERE"))
    var log: String?

    @Option(
        name: .customLong("cache-ttl"),
        help: ArgumentHelp("Turn on the verification and result caches with this TTL (off by default).", valueName: "SECONDS"))
    var cacheTTL: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on HOST:PORT (loopback unless metrics_public = yes).", valueName: "HOST:PORT"))
    var metrics: String?

    @Flag(name: .customLong("check-config"), help: "Read the configuration, report, and exit (0 when usable).")
    var checkConfig = false

    func run() async throws {
        // Before any secret is read; a failure is reported once logging is set up.
        let coreDumpFailure = CoreDumpGuard.engage()
        let commandLine = AuthdCommandLine(
            configFile: config, pamDir: pamDirectory, saslauthdSockets: saslauthdSockets, dovecotSockets: dovecotSockets,
            controlSocket: control, log: log, cacheTTL: cacheTTL, metrics: metrics)
        // The configuration comes first: it says where to log. Its errors go to standard error.
        let configuration: AuthdConfiguration
        switch AuthdConfigurationLoader.load(commandLine) {
        case .success(let loaded): configuration = loaded
        case .failure(let failures):
            for error in failures.errors { printToStandardError("pam-mysql-authd: \(error.message)") }
            printToStandardError("pam-mysql-authd: the configuration has \(failures.errors.count) error(s): not started")
            throw ExitCode(1)
        }
        let settings = configuration.settings
        do {
            try LogDestination(settings.log, fromCommandLine: log != nil).bootstrap(level: .debug)
        } catch {
            printToStandardError("pam-mysql-authd: \(error)")
            throw ExitCode(1)
        }
        let logger = {
            var logger = Logger(label: "pam-mysql-authd")
            logger.logLevel = .debug
            return logger
        }()
        for notice in configuration.notices { logger.log(level: notice.priority.loggerLevel, "\(notice.message)") }
        if let coreDumpFailure { logger.warning("core dumps not disabled: \(coreDumpFailure)") }
        let holder = ConfigurationHolder(configuration, logger: logger)
        if checkConfig {
            throw ExitCode(ConfigurationCheck.run(holder, logger: logger) ? 0 : 1)
        }
        // Before any thread starts: both edit the environment.
        let notifier: SystemdNotifier?
        switch SystemdNotifier.fromEnvironment() {
        case .success(let found): notifier = found
        case .failure(let failure):
            logger.warning("NOTIFY_SOCKET unusable, no readiness notification: \(failure)")
            notifier = nil
        }
        let activated: ActivatedSockets
        switch ActivatedSockets.take() {
        case .success(let sockets): activated = sockets
        case .failure(let failure):
            logger.error("\(failure)")
            throw ExitCode(1)
        }
        let plans =
            settings.saslauthdSockets.map { ListenerPlan(kind: .saslauthd, source: .path($0)) }
            + settings.dovecotSockets.map { ListenerPlan(kind: .dovecot, source: .path($0)) }
            + activated.saslauthd.map { ListenerPlan(kind: .saslauthd, source: .descriptor($0, name: "saslauthd")) }
            + activated.dovecot.map { ListenerPlan(kind: .dovecot, source: .descriptor($0, name: "dovecot")) }
        guard !plans.isEmpty else {
            logger.error("nothing to listen on: give --saslauthd PATH and/or --dovecot PATH (or sockets from systemd)")
            throw ExitCode(1)
        }
        let listenerLimits = ListenerLimits(settings)
        let descriptors = DescriptorLimit.raise(toFit: listenerLimits.maximumConnections)
        if descriptors < UInt64(listenerLimits.maximumConnections + 256) {
            logger.warning(
                "descriptor limit \(descriptors): fewer connections than max_connections \(listenerLimits.maximumConnections) fit")
        }
        let counters = DaemonCounters(metrics: settings.metrics == nil ? nil : AuthdMetrics())
        let login = LoginService(limits: LoginLimits(settings.limits), configuration: holder, counters: counters, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount))
        let listeners = ListenerSet(group: group, login: login, limits: listenerLimits, counters: counters, logger: logger)
        let reload: @Sendable () -> Void = {
            logger.info("reloading the configuration")
            login.reload()
        }
        // The control socket: systemd's, or the one named (command line or [daemon]), or under
        // the unit's RuntimeDirectory; by hand without any of these, none.
        let controlPath =
            control ?? (configuration.configFile != nil ? settings.controlSocket.path : nil)
            ?? Self.runtimeDirectory().map { "\($0)/control" }
        do {
            try await listeners.bind(plans)
            let commands = DaemonControl(counters: counters, reloadConfiguration: reload, login: login) { user in
                login.defence.unlock(user: user, settings: holder.current.settings.defence)
            }
            if let descriptor = activated.control {
                listeners.add(try await ControlServer.adopt(descriptor: descriptor, group: group, commands: commands, logger: logger))
                logger.info("control: listening on the socket control from systemd (fd \(descriptor))")
            } else if let controlPath {
                listeners.add(try await ControlServer.bind(path: controlPath, group: group, commands: commands, logger: logger))
                logger.info("control: listening on \(controlPath)")
            }
            if let endpoint = settings.metrics, let metrics = counters.metrics {
                let scrape: @Sendable () -> [UInt8] = { metrics.render(counters.snapshot(), cacheEntries: login.resultCache.cache.count) }
                listeners.add(try await MetricsServer.bind(endpoint, group: group, scrape: scrape, logger: logger))
                logger.info("metrics: serving http://\(endpoint.text)/metrics")
            }
        } catch {
            logger.error("\(error)")
            await listeners.closeListeners()
            await login.shutdown()
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        // The group's own start/stop lines are debug chatter: only its warnings and errors.
        var groupLogger = logger
        groupLogger.logLevel = .notice
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: ListenerService(listeners: listeners, login: login, notifier: notifier, logger: logger)),
                    .init(service: ReloadService(reload: reload), successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: groupLogger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("stopped on an error: \(error)")
            if activated.control == nil, let controlPath { ControlServer.remove(path: controlPath) }
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        if activated.control == nil, let controlPath { ControlServer.remove(path: controlPath) }
        try? await group.shutdownGracefully()
    }

    /// systemd's `RuntimeDirectory=` (`$RUNTIME_DIRECTORY`): where the control socket goes by
    /// default under the unit; without it (by hand, in tests) only `--control` makes one.
    static func runtimeDirectory() -> String? {
        guard let value = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        // Several directories are separated by ':'; the first is the unit's own.
        return value.split(separator: ":").first.map(String.init)
    }
}

func printToStandardError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
