/// crypt=0: the stored value is the password itself, compared byte for byte.
struct PlainScheme: PasswordScheme {
    let name = "plain"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        password.constantTimeEquals(stored) ? .match : .mismatch
    }

    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        .success(password.slice(0..<password.count))
    }
}
