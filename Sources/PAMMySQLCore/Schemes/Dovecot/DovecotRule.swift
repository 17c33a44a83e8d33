/// The verification rule of one scheme family. Gets the stored value already stripped of its
/// `{SCHEME}` prefix and decoded (hex or base64 as the scheme and suffix say).
protocol DovecotVerifier: Sendable {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult
}

/// How one scheme family makes a new value (Dovecot's `generate` callback): the raw bytes,
/// before the `{SCHEME}` prefix and the hex or base64 encoding, with fresh random salts.
/// Each verifier's file holds its generator, so the two cannot drift apart.
protocol DovecotGenerator: Sendable {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError>
}

/// A scheme's two rules: every scheme we verify, we can also write.
typealias DovecotRule = DovecotVerifier & DovecotGenerator

/// Dovecot's generic rule for schemes that only know how to generate: same length, then a
/// constant-time comparison (`password_verify` without a `password_verify` callback).
func compareGenerated(_ generated: SecretBytes?, with raw: SecretBytes, scheme: String) -> VerificationResult {
    guard let generated else { return .malformed("libcrypto failed to compute \(scheme)") }
    return generated.constantTimeEquals(raw) ? .match : .mismatch
}
