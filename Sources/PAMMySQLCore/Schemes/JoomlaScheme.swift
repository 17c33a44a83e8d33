/// crypt=6: Joomla 1.5's `HASH:SALT`, where HASH is the lowercase hex MD5 of password‖salt.
/// The value is split at the first `:` (pam_mysql 0.8.2 without Debian's patch crashed when
/// there was none).
struct JoomlaScheme: PasswordScheme {
    let name = "joomla15"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard let colon = stored.firstIndex(of: UInt8(ascii: ":")) else {
            return .malformed("unknown hash format (Joomla values are HASH:SALT)")
        }
        let expected = stored.slice(0..<colon)
        let salt = stored.slice((colon + 1)..<stored.count)
        guard expected.count == 32 else { return .malformed("Joomla hash part is not 32 hex digits") }
        if let defect = Hex.defect(in: expected, range: 0..<32, case: .lower) { return .malformed("Joomla hash part \(defect)") }
        guard let digest = DigestAlgorithm.md5.digest(password, salt) else { return .malformed("libcrypto failed") }
        return Hex.encode(digest, case: .lower).constantTimeEquals(expected) ? .match : .mismatch
    }

    /// 32 alphanumeric characters: no `:`, quote or backslash in the salt.
    private static let saltAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        guard let salt = SecureRandom.string(32, alphabet: Self.saltAlphabet) else { return .failure(.noRandomBytes) }
        let saltBytes = SecretBytes(salt)
        guard let hash = DigestAlgorithm.md5.digest(password, saltBytes) else { return .failure(.libcryptoFailed) }
        return .success(Hex.encode(hash, case: .lower).appending(SecretBytes(Array(":".utf8))).appending(saltBytes))
    }
}
