internal import CXCrypt

#if canImport(Glibc)
import Glibc
#endif

/// crypt=1: the stored value is a crypt(3) string and is its own setting, as in pam_mysql.
/// Every method libxcrypt knows works (DES, `$1$`, `$5$`, `$6$`, bcrypt, yescrypt, …).
struct CryptScheme: PasswordScheme {
    let name = "crypt"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        // PAM hands out C strings, so a NUL can only come from a caller bypassing PAM; C would
        // hash a prefix of the password, so refuse instead.
        guard !password.containsNUL else { return .mismatch }
        // libxcrypt's limit counts the terminating NUL: 512 bytes are one too many for it.
        guard password.count < Int(CRYPT_MAX_PASSPHRASE_SIZE) else { return .mismatch }
        return cryptCompare(password: password, stored: stored, lengthMismatchIsMalformed: true)
    }

    /// `crypt_method`, or without it the `md5` flag as in pam_mysql: MD5-crypt when true (the
    /// default), DES otherwise.
    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        let method = context.cryptMethod ?? (context.md5 ? .md5 : .des)
        return Self.newValue(password: password, prefix: method.gensalt.prefix, cost: method.gensalt.count)
    }

    /// crypt(3) with a fresh libxcrypt salt for `prefix` ("" is DES) at `cost` (0: libxcrypt's).
    /// Dovecot's CRYPT schemes write theirs with it too.
    static func newValue(password: SecretBytes, prefix: String, cost: UInt) -> Result<SecretBytes, NewPasswordHashError> {
        guard !password.containsNUL else { return .failure(.containsNUL) }
        guard let salt = CryptFunction.generateSalt(prefix: prefix, count: cost),
            let hash = CryptFunction.hash(password: password, setting: SecretBytes(Array(salt.utf8)))
        else { return .failure(.init(reason: "libxcrypt could not make a \(prefix.isEmpty ? "DES" : prefix) hash")) }
        return .success(hash)
    }
}

/// Hashes with the stored value as its own setting through libxcrypt (cost-capped) and compares
/// the whole result in constant time. crypt(3) output for a setting has a fixed length, so a
/// stored value of another length (truncated or padded) can never match: pam_mysql's crypt=1
/// reports it as malformed, Dovecot's CRYPT schemes as a plain mismatch.
func cryptCompare(password: SecretBytes, stored: SecretBytes, lengthMismatchIsMalformed: Bool = false) -> VerificationResult {
    guard !stored.containsNUL else { return .malformed("stored crypt(3) value contains a NUL byte") }
    if let excess = CryptCostLimit.excess(in: stored) { return .malformed(excess) }
    guard let computed = CryptFunction.hash(password: password, setting: stored) else {
        return .malformed("libxcrypt does not accept the stored value as a crypt(3) setting")
    }
    if lengthMismatchIsMalformed, computed.count != stored.count {
        return .malformed("stored crypt(3) value is \(stored.count) characters, a complete one is \(computed.count)")
    }
    return computed.constantTimeEquals(stored) ? .match : .mismatch
}
