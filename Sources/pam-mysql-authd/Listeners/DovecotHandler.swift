import AccountDatabase
import AuthDaemonCore
import Logging
import NIOCore
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// One Dovecot-protocol connection (Postfix keeps one per smtpd process): the handshake on
/// connect, then each line through the session; logins run concurrently and are answered in
/// the order they complete. A temporary failure closes the connection: Postfix then answers
/// 454 ("Connection lost to authentication server"), which fail2ban does not count.
final class DovecotHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let expirySweep = TimeAmount.seconds(5)

    private let login: LoginService
    private let logger: Logger
    private var session: DovecotAuthSession
    private var framer: DovecotLineFramer
    private var sweep: RepeatedTask?
    private let tracker: ConnectionTracker
    private let connectionID: UInt64
    /// What the tracker was last told (idle connections are the ones closed first at the limit).
    private var reportedBusy = false

    init(login: LoginService, connectionID: UInt64, tracker: ConnectionTracker, limits: ListenerLimits, logger: Logger) {
        self.login = login
        self.logger = logger
        self.tracker = tracker
        self.connectionID = connectionID
        var generator = SystemRandomNumberGenerator()
        let cookie = DovecotSessionConfiguration.cookie(fromBytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        session = DovecotAuthSession(
            configuration: DovecotSessionConfiguration(
                requireSecuredForPlaintext: limits.requireSecuredForPlaintext, maximumLineLength: limits.maximumLineLength,
                maximumRequestsInFlight: limits.maximumRequestsPerConnection,
                serverProcessID: UInt32(getpid()), connectionID: UInt32(truncatingIfNeeded: connectionID), cookie: cookie))
        framer = DovecotLineFramer(maximumLineLength: limits.maximumLineLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context, session.greeting())
        context.flush()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.expirySweep, delay: Self.expirySweep) { [self] _ in
            perform(session.expire(now: Self.now()), context: loopBound.value)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !session.isClosed else { return }
        for event in framer.feed(buffer.readableBytesView) {
            switch event {
            case .line(let line):
                perform(session.receive(line: line, now: Self.now()), context: context)
            case .lineTooLong:
                logger.notice("dovecot: line longer than \(framer.maximumLineLength) bytes, connection closed")
                context.close(promise: nil)
            }
            if session.isClosed { break }
        }
    }

    private func perform(_ actions: [DovecotAction], context: ChannelHandlerContext) {
        var wrote = false
        for action in actions {
            switch action {
            case .send(let bytes):
                send(context, bytes)
                wrote = true
            case .close(let reason):
                logger.notice("dovecot: connection closed: \(reason)")
                if wrote { context.flush() }
                context.close(promise: nil)
                return
            case .verify(let request):
                verify(request, context: context)
            }
        }
        if wrote { context.flush() }
        let busy = session.requestsInFlight > 0
        if busy != reportedBusy {
            reportedBusy = busy
            tracker.setBusy(connectionID, busy)
        }
    }

    private func verify(_ request: DovecotLoginAttempt, context: ChannelHandlerContext) {
        let attempt = LoginAttempt(
            service: request.service, user: request.user, password: request.password, remoteAddress: request.remoteAddress,
            protocolName: "dovecot")
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let channel = context.channel
        login.authenticate(attempt, on: context.eventLoop).whenSuccess { [self] verdict in
            guard channel.isActive else { return }
            perform(
                session.complete(id: request.id, verdict: ProtocolReplies.dovecot(verdict, user: request.user)), context: loopBound.value)
        }
    }

    private func send(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionTracker.IdleEviction {
            // max_connections reached: an idle connection makes room (Postfix reconnects).
            if session.requestsInFlight == 0 { context.close(promise: nil) }
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            if session.requestsInFlight == 0 {
                logger.info("dovecot: idle connection closed")
                context.close(promise: nil)
            }
            return
        }
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !(error is IOError) { logger.notice("dovecot: connection closed: \(error)") }
        context.close(promise: nil)
    }

    /// Monotonic milliseconds, the session's clock.
    static func now() -> UInt64 {
        UInt64(NIODeadline.now().uptimeNanoseconds / 1_000_000)
    }
}
