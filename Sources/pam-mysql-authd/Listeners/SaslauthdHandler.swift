import AuthDaemonCore
import Logging
import NIOCore
import PAMMySQLCore

/// One saslauthd connection: bytes accumulate (bounded) until a whole request is there, one
/// login, one counted-string reply, `shutdown(SHUT_WR)`, then close at the client's EOF or after
/// a short linger, as saslauthd's `ipc_loop` does. Bytes after the request are ignored.
final class SaslauthdHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long the client may take after our reply to close its end.
    static let lingerAfterReply = TimeAmount.seconds(2)
    /// Five fields of the longest length (libsasl caps a request at 8192 bytes).
    static let maximumRequestLength = SaslauthdLimits().maximumRequestLength

    private let login: LoginService
    private let joinsRealm: Bool
    private let logger: Logger
    private var received: ByteBuffer?
    private var answered = false

    init(login: LoginService, joinsRealm: Bool, logger: Logger) {
        self.login = login
        self.joinsRealm = joinsRealm
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !answered else { return }
        if received == nil {
            received = buffer
        } else {
            received?.writeBuffer(&buffer)
        }
        guard let bytes = received else { return }
        switch SaslauthdDecoder.decode(bytes.readableBytesView) {
        case .incomplete:
            guard bytes.readableBytes <= Self.maximumRequestLength else {
                logger.notice("saslauthd: more than \(Self.maximumRequestLength) bytes without a whole request, connection closed")
                answered = true
                forget()
                context.close(promise: nil)
                return
            }
        case .invalid(let error):
            logger.notice("\(error.description)")
            forget()
            reply(context, error.reply)
        case .request(let request, _):
            forget()
            handle(request, context: context)
        }
    }

    private func handle(_ request: SaslauthdRequest, context: ChannelHandlerContext) {
        answered = true
        let attempt = LoginAttempt(
            service: String(decoding: request.service, as: UTF8.self),
            user: SaslauthdUserName.join(login: request.login, realm: request.realm, joinsRealm: joinsRealm),
            password: request.password,
            remoteAddress: request.clientAddress.map { String(decoding: $0, as: UTF8.self) }, protocolName: "saslauthd")
        let channel = context.channel
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        login.authenticate(attempt, on: context.eventLoop).whenSuccess { [self] verdict in
            guard channel.isActive else { return }
            reply(loopBound.value, ProtocolReplies.saslauthd(verdict))
        }
    }

    /// Sends one counted string, half-closes, and closes after the linger.
    private func reply(_ context: ChannelHandlerContext, _ answer: SaslauthdReply) {
        answered = true
        let bytes = answer.encoded
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.lingerAfterReply) { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionTracker.IdleEviction {
            // max_connections reached: a connection without a request yet makes room; one
            // being answered ends by itself.
            if !answered {
                forget()
                context.close(promise: nil)
            }
            return
        }
        if case ChannelEvent.inputClosed = event {
            // The client's EOF: after our reply that ends the connection; before a whole
            // request it is a half request (nothing to answer).
            // A connect without a byte is what a second daemon's "is anyone listening?" does.
            if !answered, let count = received?.readableBytes, count > 0 {
                logger.notice("saslauthd: connection closed before a whole request (\(count) bytes)")
            }
            forget()
            context.close(promise: nil)
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            if !answered { logger.notice("saslauthd: no whole request within the idle timeout, connection closed") }
            forget()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        forget()
        context.close(promise: nil)
    }

    /// The received bytes hold the password: zeroed before the buffer goes.
    private func forget() {
        guard var buffer = received else { return }
        received = nil
        let count = buffer.writerIndex
        buffer.clear()
        buffer.writeRepeatingByte(0, count: count)
    }
}
