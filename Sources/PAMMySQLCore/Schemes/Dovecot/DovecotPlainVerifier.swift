/// `{PLAIN}`, `{CLEAR}`, `{CLEARTEXT}`: the password itself, compared in constant time.
/// Not "weak" (Dovecot 2.4 does not list it): a plain-text column is a storage decision made in
/// the open, not a hash that looks safer than it is.
///
/// An empty body (also one that `.b64`/`.hex` decodes to nothing) is an empty stored password,
/// which the caller refuses unless `nullok` allows it, as for an empty column: Dovecot would
/// let the empty password in.
struct DovecotPlainVerifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard !raw.isEmpty else { return .storedSecretIsEmpty }
        return password.constantTimeEquals(raw) ? .match : .mismatch
    }
}

extension DovecotPlainVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        .success(password.slice(0..<password.count))
    }
}
