/// `{PLAIN}`, `{CLEAR}`, `{CLEARTEXT}`: the password itself, compared in constant time.
/// Not "weak" (Dovecot 2.4 does not list it): a plain-text column is a storage decision made in
/// the open, not a hash that looks safer than it is.
struct DovecotPlainVerifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        password.constantTimeEquals(raw) ? .match : .mismatch
    }
}

extension DovecotPlainVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        .success(password.slice(0..<password.count))
    }
}
