/// What one Dovecot-protocol connection offers and how far it lets a client go.
public struct DovecotSessionConfiguration: Sendable, Equatable {
    /// `AUTH_CLIENT_MAX_LINE_LENGTH` (`auth-client-interface.h`).
    public static let dovecotMaximumLineLength = 16384
    /// Dovecot's `MASTER_AUTH_SERVER_TIMEOUT_SECS`: how long a request may wait for the client's
    /// continuation. Postfix never sends CANCEL (an SMTP client's `*` leaves the request pending).
    public static let dovecotRequestExpirySeconds: UInt64 = 150
    /// Postfix keeps one request in flight per connection; the others are abandoned ones.
    public static let defaultMaximumRequestsInFlight = 16

    /// Announced in this order, each as `MECH\t<name>\tplaintext`.
    public var mechanisms: [DovecotMechanism]
    /// Refuses a plaintext mechanism on a request without `secured` (SMTP session not under TLS).
    public var requireSecuredForPlaintext: Bool
    /// The longest line accepted, in bytes, without the LF (and a CR before it).
    public var maximumLineLength: Int
    /// Requests of one connection at once. At the limit, the oldest request waiting for the
    /// client's continuation is dropped (abandoned: Postfix has one request at a time); when
    /// every request is being verified, the connection is closed.
    public var maximumRequestsInFlight: Int
    /// A request waiting for the client's continuation longer than this is dropped.
    public var requestExpirySeconds: UInt64
    /// `SPID`: the server's process id (Postfix ignores it).
    public var serverProcessID: UInt32
    /// `CUID`: this connection's number (Postfix ignores it).
    public var connectionID: UInt32
    /// `COOKIE`: 32 hex digits (Postfix ignores it; Dovecot's master uses it).
    public var cookie: String

    public init(
        mechanisms: [DovecotMechanism] = DovecotMechanism.allCases,
        requireSecuredForPlaintext: Bool = false,
        maximumLineLength: Int = DovecotSessionConfiguration.dovecotMaximumLineLength,
        maximumRequestsInFlight: Int = DovecotSessionConfiguration.defaultMaximumRequestsInFlight,
        requestExpirySeconds: UInt64 = DovecotSessionConfiguration.dovecotRequestExpirySeconds,
        serverProcessID: UInt32,
        connectionID: UInt32,
        cookie: String
    ) {
        self.mechanisms = mechanisms
        self.requireSecuredForPlaintext = requireSecuredForPlaintext
        self.maximumLineLength = max(maximumLineLength, 64)
        self.maximumRequestsInFlight = max(maximumRequestsInFlight, 1)
        self.requestExpirySeconds = requestExpirySeconds
        self.serverProcessID = serverProcessID
        self.connectionID = connectionID
        self.cookie = cookie
    }

    /// 16 bytes (e.g. from SecureRandom) as the 32 lowercase hex digits of a `COOKIE` line.
    public static func cookie(fromBytes bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var text = ""
        for byte in bytes {
            text.unicodeScalars.append(digits[Int(byte >> 4)])
            text.unicodeScalars.append(digits[Int(byte & 15)])
        }
        return text
    }
}
