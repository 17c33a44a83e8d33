import AuthDaemonCore
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One control connection: checks the peer is root (SO_PEERCRED) before it reads a byte, then
/// reads lines, runs each command through ControlCommands and writes its reply (ControlReply's
/// lines). Commands run one after another; a line over ControlCommand.maximumLineLength is
/// answered with an error and the connection closed.
///
/// The socket file is 0600 root in a 0700 directory, so the check is the second wall, not the
/// only one: it also holds when the socket was passed by systemd with another mode, or a path
/// was chosen in a directory others can reach.
final class ControlHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// SO_PEERCRED not read yet: input is kept, not parsed.
        case checkingPeer
        case idle
        case running
        case closed
    }

    private let commands: any ControlCommands
    private let logger: Logger
    private var state = State.checkingPeer
    private var pending: [UInt8] = []
    /// The client half-closed (`nc -N`): close once the commands it sent are answered.
    private var inputClosed = false
    /// What may wait while a command runs: a few full lines.
    static let maximumPendingBytes = 4 * ControlCommand.maximumLineLength

    init(commands: any ControlCommands, logger: Logger) {
        self.commands = commands
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let provider = context.channel as? SocketOptionProvider else {
            refuse(context: context, reason: "control: cannot read the peer's credentials; connection closed")
            return
        }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        credentials.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let peer) where peer.uid == 0:
                self.state = .idle
                self.runNextLine(context: context)
            case .success(let peer):
                self.refuse(
                    context: context,
                    reason: "control: refused a connection from uid \(peer.uid) pid \(peer.pid): root only")
            case .failure(let error):
                self.refuse(context: context, reason: "control: cannot read the peer's credentials (\(error)); connection closed")
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state != .closed else { return }
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        if state == .idle {
            runNextLine(context: context)
        } else if pending.count > Self.maximumPendingBytes {
            // Input while a command runs (or before the peer check) is kept, but not without bound.
            tooLong(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            if state == .idle { runNextLine(context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("control: connection error: \(error)")
        close(context: context)
    }

    /// Takes the next complete line, if any, and runs it; comes back here when its reply is out.
    private func runNextLine(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        guard let end = pending.firstIndex(of: UInt8(ascii: "\n")) else {
            if pending.count > ControlCommand.maximumLineLength {
                tooLong(context: context)
            } else if inputClosed {
                close(context: context)
            }
            return
        }
        guard end <= ControlCommand.maximumLineLength else {
            tooLong(context: context)
            return
        }
        let line = Array(pending[..<end])
        pending.removeSubrange(...end)
        switch ControlCommand.parse(line) {
        case .failure(let error):
            logger.notice("control: \(error)")
            send(.invalid(error), context: context)
            runNextLine(context: context)
        case .success(let command):
            logger.info("control: \(command.verb)")
            state = .running
            let commands = self.commands
            context.eventLoop.makeFutureWithTask { await commands.run(command) }
                .assumeIsolated().whenComplete { result in
                    guard self.state == .running else { return }
                    // run(_:) does not throw; the task cannot fail.
                    let reply = (try? result.get()) ?? .failed("internal error")
                    self.send(reply, context: context)
                    self.state = .idle
                    self.runNextLine(context: context)
                }
        }
    }

    private func send(_ reply: ControlReply, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        for line in reply.lines {
            buffer.writeString(line)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func tooLong(context: ChannelHandlerContext) {
        logger.warning("control: line longer than \(ControlCommand.maximumLineLength) bytes; connection closed")
        send(.lineTooLong, context: context)
        close(context: context)
    }

    private func refuse(context: ChannelHandlerContext, reason: String) {
        logger.warning("\(reason)")
        close(context: context)
    }

    private func close(context: ChannelHandlerContext) {
        guard state != .closed else { return }
        state = .closed
        pending = []
        context.close(promise: nil)
    }
}
