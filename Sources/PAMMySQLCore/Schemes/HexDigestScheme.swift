/// crypt=3, 4, 8, 9: the lowercase hex digest of the password (pam_mysql compares the text with
/// `strcmp`, so uppercase stored hex never matched; that stays so, now with a log line saying why).
struct HexDigestScheme: PasswordScheme {
    let name: String
    let algorithm: DigestAlgorithm

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard stored.count == algorithm.length * 2 else {
            return .malformed("stored value is \(stored.count) characters, \(name) hex has \(algorithm.length * 2)")
        }
        if let defect = Hex.defect(in: stored, range: 0..<stored.count, case: .lower) {
            return .malformed("stored \(name) value \(defect)")
        }
        guard let digest = algorithm.digest(password) else { return .malformed("libcrypto failed to compute \(name)") }
        return Hex.encode(digest, case: .lower).constantTimeEquals(stored) ? .match : .mismatch
    }

    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        guard let digest = algorithm.digest(password) else { return .failure(.libcryptoFailed) }
        return .success(Hex.encode(digest, case: .lower))
    }
}
