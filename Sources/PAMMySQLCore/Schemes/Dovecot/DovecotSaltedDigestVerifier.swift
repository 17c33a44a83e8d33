/// `{SMD5}`, `{SSHA}`, `{SSHA256}`, `{SSHA512}`: base64(H(password ‖ salt) ‖ salt). The salt is
/// whatever follows the digest and must be at least one byte ("password is too short" in
/// Dovecot); Dovecot writes 4 bytes, other tools more.
struct DovecotSaltedDigestVerifier: DovecotVerifier {
    let algorithm: DigestAlgorithm

    init(_ algorithm: DigestAlgorithm) { self.algorithm = algorithm }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        let length = algorithm.length
        guard raw.count > length else { return .malformed("salted \(algorithm) value has no salt (\(raw.count) bytes)") }
        let salt = raw.slice(length..<raw.count)
        return compareGenerated(algorithm.digest(password, salt), with: raw.slice(0..<length), scheme: "\(algorithm)")
    }
}

/// Eight random bytes of salt (Dovecot writes four; every reader takes what follows the digest).
extension DovecotSaltedDigestVerifier: DovecotGenerator {
    static let newSaltLength = 8

    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard let random = SecureRandom.bytes(Self.newSaltLength) else { return .failure(.noRandomBytes) }
        let salt = SecretBytes(random)
        guard let digest = algorithm.digest(password, salt) else { return .failure(.libcryptoFailed) }
        return .success(digest.appending(salt))
    }
}
