/// `{SCRAM-SHA-1}` and `{SCRAM-SHA-256}`: `iterations,salt,StoredKey,ServerKey` (RFC 5802 and
/// 7677 credentials, base64 fields). The password verifies when
/// H(HMAC(Hi(password, salt, iterations), "Client Key")) equals StoredKey (Dovecot's
/// `scram_verify`). Iterations below 4,096 are invalid in Dovecot; above our cap, refused.
struct DovecotSCRAMVerifier: DovecotVerifier {
    /// What Dovecot writes: 4,096 iterations (its minimum), 16 bytes of salt.
    static let newIterations = 4096
    static let newSaltLength = 16

    let algorithm: DigestAlgorithm

    init(_ algorithm: DigestAlgorithm) { self.algorithm = algorithm }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        let fields = DovecotFields.split(raw, separator: UInt8(ascii: ","))
        guard fields.count == 4 else { return .malformed("SCRAM value has \(fields.count) fields instead of 4") }
        guard let iterations = DovecotFields.unsignedInteger(fields[0], limit: DovecotCostLimit.maximumSCRAMIterations),
            iterations >= 4096
        else { return .malformed("SCRAM iteration count is not between 4096 and \(DovecotCostLimit.maximumSCRAMIterations)") }
        guard let salt = DovecotStoredValue.decodeBase64(fields[1]) else { return .malformed("SCRAM salt is not base64") }
        guard let storedKey = DovecotStoredValue.decodeBase64(fields[2]), storedKey.count == algorithm.length else {
            return .malformed("SCRAM StoredKey is not a base64 \(algorithm) digest")
        }
        guard let serverKey = DovecotStoredValue.decodeBase64(fields[3]), serverKey.count == algorithm.length else {
            return .malformed("SCRAM ServerKey is not a base64 \(algorithm) digest")
        }
        _ = serverKey
        guard
            let salted = PBKDF2.derive(
                password: password, salt: salt, iterations: iterations, length: algorithm.length, algorithm: algorithm),
            let clientKey = HMAC.authenticate(key: salted, message: SecretBytes(Array("Client Key".utf8)), algorithm: algorithm)
        else { return .malformed("libcrypto failed to compute SCRAM keys") }
        return compareGenerated(algorithm.digest(clientKey), with: storedKey, scheme: "SCRAM")
    }
}

/// The four fields from a fresh salt: StoredKey = H(HMAC(SaltedPassword, "Client Key")),
/// ServerKey = HMAC(SaltedPassword, "Server Key") (RFC 5802 section 3).
extension DovecotSCRAMVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard let random = SecureRandom.bytes(Self.newSaltLength) else { return .failure(.noRandomBytes) }
        let salt = SecretBytes(random)
        guard
            let salted = PBKDF2.derive(
                password: password, salt: salt, iterations: Self.newIterations, length: algorithm.length, algorithm: algorithm),
            let clientKey = HMAC.authenticate(key: salted, message: SecretBytes(Array("Client Key".utf8)), algorithm: algorithm),
            let storedKey = algorithm.digest(clientKey),
            let serverKey = HMAC.authenticate(key: salted, message: SecretBytes(Array("Server Key".utf8)), algorithm: algorithm)
        else { return .failure(.libcryptoFailed) }
        let comma = SecretBytes(Array(",".utf8))
        return .success(
            SecretBytes(Array("\(Self.newIterations),".utf8)).appending(Base64.encode(salt)).appending(comma)
                .appending(Base64.encode(storedKey)).appending(comma).appending(Base64.encode(serverKey)))
    }
}
