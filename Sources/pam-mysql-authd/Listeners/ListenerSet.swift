import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets: each bound (or taken from systemd) with the pipeline of its
/// protocol; closed together to stop accepting.
final class ListenerSet: @unchecked Sendable {
    private let group: any EventLoopGroup
    private let login: LoginService
    private let limits: ListenerLimits
    let tracker: ConnectionTracker
    private let logger: Logger
    private(set) var channels: [any Channel] = []

    init(group: any EventLoopGroup, login: LoginService, limits: ListenerLimits, counters: DaemonCounters, logger: Logger) {
        self.group = group
        self.login = login
        self.limits = limits
        self.logger = logger
        tracker = ConnectionTracker(maximum: limits.maximumConnections, counters: counters, logger: logger)
    }

    /// A listener that is not a client protocol (the control socket), closed with the others.
    func add(_ channel: any Channel) {
        channels.append(channel)
    }

    func bind(_ plans: [ListenerPlan]) async throws {
        for plan in plans {
            let bootstrap = bootstrap(for: plan.kind)
            let channel: any Channel
            switch plan.source {
            case .path(let socket):
                let path = socket.path
                try SocketPath.prepare(path)
                do {
                    channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
                } catch {
                    throw DaemonStartError("cannot listen on \(path): \(error)")
                }
                try SocketPath.setPermissions(
                    path, mode: mode_t(socket.mode), owner: try SocketPath.userID(socket.owner), group: try SocketPath.groupID(socket.group)
                )
                logger.info("\(plan.kind.rawValue): listening on \(path)")
            case .descriptor(let descriptor, let name):
                do {
                    channel = try await bootstrap.withBoundSocket(descriptor).get()
                } catch {
                    throw DaemonStartError("cannot use the socket \(name) (fd \(descriptor)) systemd handed over: \(error)")
                }
                logger.info("\(plan.kind.rawValue): listening on the socket \(name) from systemd (fd \(descriptor))")
            }
            channels.append(channel)
        }
    }

    /// Stops accepting (the sockets handed over by systemd stay with systemd).
    func closeListeners() async {
        for channel in channels { try? await channel.close() }
    }

    private func bootstrap(for kind: ListenerKind) -> ServerBootstrap {
        let login = login
        let limits = limits
        let logger = logger
        let tracker = tracker
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard let number = tracker.admit(channel) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    switch kind {
                    case .saslauthd:
                        try operations.addHandler(IdleStateHandler(readTimeout: limits.saslauthdIdle))
                        try operations.addHandler(SaslauthdHandler(login: login, joinsRealm: limits.joinsRealm, logger: logger))
                    case .dovecot:
                        try operations.addHandler(IdleStateHandler(readTimeout: limits.dovecotIdle))
                        try operations.addHandler(
                            DovecotHandler(login: login, connectionID: number, tracker: tracker, limits: limits, logger: logger))
                    }
                }
            }
    }
}
