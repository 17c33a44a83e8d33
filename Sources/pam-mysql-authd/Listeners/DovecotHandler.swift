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

    private static let expirySweep = TimeAmount.seconds(10)

    private let login: LoginService
    private let logger: Logger
    private let session = InterimDovecotSession()
    private let connectionID: UInt64
    private var sweep: RepeatedTask?
    private var closing = false

    init(login: LoginService, connectionID: UInt64, logger: Logger) {
        self.login = login
        self.connectionID = connectionID
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let lines = InterimDovecotSession.greeting(processID: getpid(), connectionID: connectionID, cookie: Self.cookie())
        for line in lines { write(context, line) }
        context.flush()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.expirySweep, delay: Self.expirySweep) { [self] _ in
            let dropped = session.expire(now: monotonicSeconds())
            if dropped > 0 { logger.info("dovecot: \(dropped) abandoned request(s) expired") }
            _ = loopBound
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var buffer = unwrapInboundIn(data)
        let line = buffer.readBytes(length: buffer.readableBytes) ?? []
        perform(session.receive(line, now: monotonicSeconds()), context: context)
    }

    private func perform(_ steps: [InterimDovecotSession.Step], context: ChannelHandlerContext) {
        for step in steps {
            switch step {
            case .send(let line):
                write(context, line)
                context.flush()
            case .close(let why):
                logger.notice("dovecot: connection closed: \(why)")
                closing = true
                context.close(promise: nil)
                return
            case .verify(let id, let user, let password, let service, let remoteAddress):
                let attempt = LoginAttempt(
                    service: service, user: user, password: password, remoteAddress: remoteAddress, protocolName: "dovecot")
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let channel = context.channel
                login.authenticate(attempt, on: context.eventLoop).whenSuccess { [self] verdict in
                    guard channel.isActive, !closing else { return }
                    perform(session.complete(id: id, verdict: verdict), context: loopBound.value)
                }
            }
        }
    }

    private func write(_ context: ChannelHandlerContext, _ line: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: line.count + 1)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if session.inFlight == 0 {
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
        if error is LineDecoder.LineTooLong {
            logger.notice("dovecot: line longer than the limit, connection closed")
        } else if !(error is IOError) {
            logger.notice("dovecot: connection closed: \(error)")
        }
        closing = true
        context.close(promise: nil)
    }

    /// 32 hex digits (Postfix ignores COOKIE; Dovecot's master REQUEST flow would need it).
    static func cookie() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
