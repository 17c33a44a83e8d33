/// crypt=7: LDAP-style salted SHA-1 without the `{SSHA}` prefix: base64(SHA1(pw‖salt)‖salt).
/// pam_mysql aborted the host on salts over 10 bytes (they verify here, as in LDAP), and on
/// non-base64 data or a `{SSHA}` prefix (malformed values here).
struct SSHAScheme: PasswordScheme {
    let name = "ssha"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard let raw = Base64.decode(stored) else { return .malformed("wrong SSHA hash format (not base64)") }
        guard raw.count >= DigestAlgorithm.sha1.length else { return .malformed("wrong SSHA hash format (too short)") }
        let salt = raw.slice(DigestAlgorithm.sha1.length..<raw.count)
        guard let digest = DigestAlgorithm.sha1.digest(password, salt) else { return .malformed("libcrypto failed") }
        // Compare the re-encoded text, as pam_mysql does: a non-canonical encoding is a mismatch.
        return Base64.encode(digest.appending(salt)).constantTimeEquals(stored) ? .match : .mismatch
    }

    /// 8 bytes of salt: pam_mysql 0.8.2 itself overflowed on salts over 10 bytes, so a site
    /// that goes back to it can still read these.
    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        guard let salt = SecureRandom.bytes(8) else { return .failure(.noRandomBytes) }
        let saltBytes = SecretBytes(salt)
        guard let hash = DigestAlgorithm.sha1.digest(password, saltBytes) else { return .failure(.libcryptoFailed) }
        return .success(Base64.encode(hash.appending(saltBytes)))
    }
}
