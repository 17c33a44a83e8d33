import PAMMySQLCore

/// A user name and password the client has given in full, for the daemon to verify; the answer
/// goes back through `DovecotAuthSession.complete(id:verdict:)`.
public struct DovecotLoginAttempt {
    /// The request id of this connection (the client's counter).
    public let id: UInt32
    public let mechanism: DovecotMechanism
    /// The authentication identity as the client gave it; never empty, never TAB, CR, LF, NUL or
    /// `\x01` (Postfix copies `user=` verbatim into its logs and maps).
    public let user: [UInt8]
    public let password: SecretBytes
    /// `service=` (or Dovecot 2.4's `protocol=`): selects the configuration (`smtp`).
    public let service: String
    /// `rip=`: the SMTP client's address, when given and shaped like an IP address.
    public let remoteAddress: String?
    /// `lip=`: the server address the SMTP client reached.
    public let localAddress: String?
    /// `secured`: the SMTP session is under TLS.
    public let secured: Bool

    public init(
        id: UInt32, mechanism: DovecotMechanism, user: [UInt8], password: SecretBytes, service: String,
        remoteAddress: String?, localAddress: String?, secured: Bool
    ) {
        self.id = id
        self.mechanism = mechanism
        self.user = user
        self.password = password
        self.service = service
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.secured = secured
    }
}

/// Handed from the event loop to one worker; nobody writes to the password after decoding.
extension DovecotLoginAttempt: @unchecked Sendable {}
