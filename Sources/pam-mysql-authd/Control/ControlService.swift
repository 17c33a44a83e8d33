import Logging
import NIOCore
import ServiceLifecycle

/// The control socket as one service of the daemon's ServiceGroup: listens (the socket systemd
/// passed, else the path) until the graceful shutdown, then closes the listener and removes the
/// socket file it made. A control socket that cannot be opened is logged and the daemon runs
/// on without it: logins matter more than counters.
struct ControlService: Service {
    enum Source: Sendable {
        case path(String)
        case descriptor(Int32)
    }

    let source: Source
    let group: EventLoopGroup
    let commands: any ControlCommands
    let logger: Logger

    func run() async throws {
        let channel: Channel
        do {
            switch source {
            case .path(let path):
                channel = try await ControlServer.bind(path: path, group: group, commands: commands, logger: logger)
            case .descriptor(let fd):
                channel = try await ControlServer.adopt(descriptor: fd, group: group, commands: commands, logger: logger)
            }
        } catch {
            // Returning would end the whole ServiceGroup: wait for the shutdown like the others.
            logger.error("control socket not served: \(error)")
            try? await gracefulShutdown()
            return
        }
        try? await gracefulShutdown()
        try? await channel.close()
        if case .path(let path) = source { ControlServer.remove(path: path) }
    }
}
