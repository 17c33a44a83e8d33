import ArgumentParser
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
        abstract: "Answers Postfix and Cyrus SASL (saslauthd and Dovecot auth protocols) from the pam_mysql user table.")

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

    @Flag(name: .customLong("check-config"), help: "Read the configuration, report, and exit (0 when usable).")
    var checkConfig = false

    func run() async throws {
        do {
            try LogDestination(argument: log).bootstrap(level: .debug)
        } catch {
            printToStandardError("pam-mysql-authd: \(error)")
            throw ExitCode(1)
        }
        let logger = {
            var logger = Logger(label: "pam-mysql-authd")
            logger.logLevel = .debug
            return logger
        }()
        let pamDirectory = pamDirectory ?? "/etc/pam.d"
        if let config, case .failure(let why) = TextFile.read(config) {
            logger.error("cannot read the configuration \(config): \(why)")
            throw ExitCode(1)
        }
        if checkConfig {
            throw ExitCode(ConfigurationCheck.run(pamDirectory: pamDirectory, logger: logger) ? 0 : 1)
        }
        var plans =
            saslauthdSockets.map { ListenerPlan(kind: .saslauthd, source: .path($0)) }
            + dovecotSockets.map { ListenerPlan(kind: .dovecot, source: .path($0)) }
        for handed in InterimSocketActivation.take() {
            switch handed.name {
            case "saslauthd": plans.append(ListenerPlan(kind: .saslauthd, source: .descriptor(handed.descriptor, name: handed.name)))
            case "dovecot": plans.append(ListenerPlan(kind: .dovecot, source: .descriptor(handed.descriptor, name: handed.name)))
            case "control": logger.notice("control socket from systemd: not served yet")
            default:
                logger.warning(
                    "socket \"\(handed.name)\" from systemd (fd \(handed.descriptor)) ignored: not saslauthd, dovecot or control")
            }
        }
        if control != nil { logger.notice("--control: the control socket is not served yet") }
        guard !plans.isEmpty else {
            logger.error("nothing to listen on: give --saslauthd PATH and/or --dovecot PATH (or sockets from systemd)")
            throw ExitCode(1)
        }
        let listenerLimits = ListenerLimits()
        let descriptors = DescriptorLimit.raise(toFit: listenerLimits.maximumConnections)
        if descriptors < UInt64(listenerLimits.maximumConnections + 256) {
            logger.warning(
                "descriptor limit \(descriptors): fewer connections than max_connections \(listenerLimits.maximumConnections) fit")
        }
        let services = ServiceDirectory(pamDirectory: pamDirectory, logger: logger)
        let login = LoginService(limits: LoginLimits(), services: services, logger: logger)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount))
        let listeners = ListenerSet(group: group, login: login, limits: listenerLimits, logger: logger)
        do {
            try await listeners.bind(plans)
        } catch {
            logger.error("\(error)")
            await listeners.closeListeners()
            await login.shutdown()
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        let reload: @Sendable () -> Void = {
            logger.info("SIGHUP: reloading the configuration")
            login.dropCaches(pamDirectory: pamDirectory)
        }
        // The group's own start/stop lines are debug chatter: only its warnings and errors.
        var groupLogger = logger
        groupLogger.logLevel = .notice
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: ListenerService(listeners: listeners, login: login, logger: logger)),
                    .init(service: ReloadService(reload: reload), successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: groupLogger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("stopped on an error: \(error)")
            try? await group.shutdownGracefully()
            throw ExitCode(1)
        }
        try? await group.shutdownGracefully()
    }
}

func printToStandardError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
