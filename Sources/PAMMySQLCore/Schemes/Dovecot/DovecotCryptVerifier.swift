/// `{CRYPT}`, `{DES-CRYPT}`, `{SHA256-CRYPT}`, `{SHA512-CRYPT}`: any crypt(3) string libxcrypt
/// knows (yescrypt, scrypt, SHA-crypt, …), as Dovecot's `crypt_verify` hands it to the system
/// `crypt()`. `$2?$` values go to BLF-CRYPT, an empty value is a mismatch (crypt("") would
/// "match" it), and without `allow_weak_schemes` DES and `$1$` values are refused, as in
/// Dovecot 2.4.
struct DovecotCryptVerifier: DovecotVerifier {
    /// What a new value of this name is: `{CRYPT}` writes yescrypt, libxcrypt's and Debian's
    /// default (doveadm writes bcrypt cost 5); the others write their own method.
    let newValueMethod: CryptMethod

    init(_ newValueMethod: CryptMethod) { self.newValueMethod = newValueMethod }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        if raw.count > 4, raw.hasPrefix("$2"), raw[safe: 3] == UInt8(ascii: "$") {
            return DovecotBlowfishCryptVerifier().verify(password: password, raw: raw, context: context)
        }
        guard !raw.isEmpty else { return .mismatch }
        if raw.count > 1, !context.allowWeakSchemes {
            if raw[safe: 0] != UInt8(ascii: "$") { return .malformed(DovecotWeakScheme.refusal("DES-CRYPT")) }
            if raw[safe: 1] == UInt8(ascii: "1") { return .malformed(DovecotWeakScheme.refusal("MD5-CRYPT")) }
        }
        return cryptCompare(password: password, stored: raw)
    }
}

extension DovecotCryptVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        CryptScheme.newValue(password: password, prefix: newValueMethod.gensalt.prefix, cost: newValueMethod.gensalt.count)
    }
}
