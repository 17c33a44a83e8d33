import PAMMySQLCore

/// Where a mechanism stands after the client's latest response.
enum DovecotMechanismStep {
    /// Send `CONT` with this base64 challenge and wait for the client in `state`.
    case challenge([UInt8], then: DovecotMechanismState)
    /// The client gave everything: verify.
    case credentials(user: [UInt8], password: SecretBytes)
    /// Refused by the mechanism itself (malformed response, disallowed name): `FAIL`.
    case refused(user: [UInt8]?, reason: String)
}
