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

    private let login: LoginService
    private let joinsRealm: Bool
    private let logger: Logger
    private var received: [UInt8] = []
    private var answered = false

    init(login: LoginService, joinsRealm: Bool, logger: Logger) {
        self.login = login
        self.joinsRealm = joinsRealm
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !answered else { return }
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        defer { if answered { wipe() } }
        guard received.count <= InterimSaslauthdRequest.maximumRequestLength else {
            logger.notice("saslauthd: request longer than \(InterimSaslauthdRequest.maximumRequestLength) bytes, connection closed")
            answered = true
            context.close(promise: nil)
            return
        }
        switch InterimSaslauthdRequest.parse(received) {
        case .needMore: return
        case .fieldTooLong:
            logger.notice("saslauthd: a field is longer than \(InterimSaslauthdRequest.maximumFieldLength) bytes: refused")
            reply(context, SaslauthdReplyText.fieldTooLong)
        case .request(let request):
            handle(request, context: context)
        }
    }

    private func handle(_ request: InterimSaslauthdRequest, context: ChannelHandlerContext) {
        answered = true
        guard !request.login.isEmpty else {
            logger.notice("saslauthd: empty login refused")
            return reply(context, SaslauthdReplyText.emptyLogin)
        }
        guard !request.password.isEmpty else {
            logger.notice("saslauthd: empty password refused for user=\"\(AuthEventLine.quotedUser(request.login))\"")
            return reply(context, SaslauthdReplyText.emptyPassword)
        }
        let attempt = LoginAttempt(
            service: String(decoding: request.service, as: UTF8.self),
            user: SaslauthdUserName.join(login: request.login, realm: request.realm, joinsRealm: joinsRealm),
            password: request.password,
            remoteAddress: request.clientAddress.map { String(decoding: $0, as: UTF8.self) }, protocolName: "saslauthd")
        let channel = context.channel
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        login.authenticate(attempt, on: context.eventLoop).whenSuccess { [self] verdict in
            guard channel.isActive else { return }
            reply(loopBound.value, SaslauthdReplyText.reply(verdict))
        }
    }

    /// Sends one counted string, half-closes, and closes after the linger.
    private func reply(_ context: ChannelHandlerContext, _ text: [UInt8]) {
        answered = true
        var buffer = context.channel.allocator.buffer(capacity: text.count + 2)
        buffer.writeInteger(UInt16(text.count), endianness: .big)
        buffer.writeBytes(text)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.lingerAfterReply) { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client's EOF: after our reply that ends the connection; before a whole
            // request it is a half request (nothing to answer).
            if !answered { logger.notice("saslauthd: connection closed before a whole request (\(received.count) bytes)") }
            wipe()
            context.close(promise: nil)
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            if !answered { logger.notice("saslauthd: no whole request within the idle timeout, connection closed") }
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func wipe() {
        for index in received.indices { received[index] = 0 }
        received = []
    }
}
