/// `{MD5-CRYPT}$1$salt$hash` (and unprefixed `$1$…`): FreeBSD's MD5-crypt. Dovecot has its own
/// implementation; libxcrypt's `$1$` is the same algorithm. Weak.
struct DovecotMD5CryptVerifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard raw.hasPrefix("$1$") else { return .malformed("MD5-CRYPT value does not start with $1$") }
        return cryptCompare(password: password, stored: raw)
    }
}

extension DovecotMD5CryptVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        CryptScheme.newValue(password: password, prefix: "$1$", cost: 0)
    }
}
