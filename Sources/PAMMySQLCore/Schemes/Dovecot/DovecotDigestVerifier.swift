/// Unsalted digests of the password: `{SHA}`/`{SHA1}`, `{SHA256}`, `{SHA512}` (base64 by
/// default), `{PLAIN-MD5}`, `{PLAIN-MD4}` (hex) and `{LDAP-MD5}` (base64). The stored value
/// arrives decoded, so hex and base64 forms compare the same bytes.
struct DovecotDigestVerifier: DovecotVerifier {
    enum Algorithm: Sendable {
        case md4, md5, sha1, sha256, sha512

        func digest(_ message: SecretBytes) -> SecretBytes? {
            switch self {
            case .md4: MD4.digest(message)
            case .md5: DigestAlgorithm.md5.digest(message)
            case .sha1: DigestAlgorithm.sha1.digest(message)
            case .sha256: DigestAlgorithm.sha256.digest(message)
            case .sha512: DigestAlgorithm.sha512.digest(message)
            }
        }
    }

    let algorithm: Algorithm

    init(_ algorithm: Algorithm) { self.algorithm = algorithm }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        compareGenerated(algorithm.digest(password), with: raw, scheme: "\(algorithm)")
    }
}

extension DovecotDigestVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        algorithm.digest(password).map { .success($0) } ?? .failure(.libcryptoFailed)
    }
}
