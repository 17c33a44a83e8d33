/// What the mechanism waits for from the client.
enum DovecotMechanismState: Sendable, Equatable {
    /// PLAIN after an empty challenge: the whole `authzid NUL authcid NUL password`.
    case plainResponse
    /// LOGIN: the user name, then the password for that name.
    case loginUser
    case loginPassword(user: [UInt8])
}
