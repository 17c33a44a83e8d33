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

/// What the mechanism waits for from the client.
enum DovecotMechanismState: Sendable, Equatable {
    /// PLAIN after an empty challenge: the whole `authzid NUL authcid NUL password`.
    case plainResponse
    /// LOGIN: the user name, then the password for that name.
    case loginUser
    case loginPassword(user: [UInt8])
}
