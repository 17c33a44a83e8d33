/// `{MD5}`, which means two things in Dovecot (`md5_verify`): a `$1$` value is MD5-crypt, anything
/// else is PLAIN-MD5 in hex or base64 (Courier and authlib wrote base64 MD5 under this name).
/// Weak either way.
struct DovecotMD5Verifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        if raw.hasPrefix("$1$") {
            return DovecotMD5CryptVerifier().verify(password: password, raw: raw, context: context)
        }
        guard let plainMD5 = DovecotSchemes.named("PLAIN-MD5"),
            case .success(let digest) = DovecotStoredValue.decode(raw, scheme: plainMD5, explicit: nil)
        else { return .malformed("{MD5} value is neither MD5-crypt nor a hex or base64 MD5 digest") }
        return plainMD5.rule.verify(password: password, raw: digest, context: context)
    }
}

/// `{MD5}` writes MD5-crypt, as Dovecot's `md5_generate` does.
extension DovecotMD5Verifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        DovecotMD5CryptVerifier().generate(password: password, userName: userName)
    }
}
