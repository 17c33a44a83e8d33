import PAMMySQLCore

/// One decoded saslauthd request: the fields exactly as the client sent them (no realm joined;
/// `login@realm` as `saslauthd -r` does is the daemon's choice, not the protocol's).
public struct SaslauthdRequest {
    public let login: [UInt8]
    public let password: SecretBytes
    public let service: [UInt8]
    public let realm: [UInt8]
    /// The fifth field of unreleased clients (`addr;port`), nil when the client sent four.
    public let clientAddress: [UInt8]?

    public init(login: [UInt8], password: SecretBytes, service: [UInt8], realm: [UInt8], clientAddress: [UInt8]?) {
        self.login = login
        self.password = password
        self.service = service
        self.realm = realm
        self.clientAddress = clientAddress
    }
}

/// The request moves from the event loop that decoded it to the one worker that verifies it;
/// nobody writes to its password after decoding, so sharing the reference is safe.
extension SaslauthdRequest: @unchecked Sendable {}
