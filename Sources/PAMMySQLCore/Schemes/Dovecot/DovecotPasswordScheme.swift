/// `crypt=dovecot`: reads the column Dovecot reads. The stored value names its scheme
/// (`{SHA512-CRYPT}$6$…`, `{SSHA256}…`, `{BLF-CRYPT.B64}…`), or implies it (`$1$…`), or gets
/// `default_pass_scheme`; the scheme's record decodes and verifies it. Every value that cannot
/// be verified (unknown scheme, bad encoding, refused weak scheme, cost over a cap) is
/// `.malformed`, which this mode treats as a configuration error (see `LoginDecision`).
struct DovecotPasswordScheme: PasswordScheme {
    let name = "dovecot"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        // Dovecot hands C strings around: a NUL could only come from a caller bypassing PAM.
        guard !password.containsNUL else { return .mismatch }
        let value: DovecotStoredValue
        switch DovecotStoredValue.parse(stored, defaultScheme: context.defaultPassScheme) {
        case .failure(let defect): return .malformed(defect.reason)
        case .success(let parsed): value = parsed
        }
        if value.scheme.isWeak, !context.allowWeakSchemes {
            return .malformed(DovecotWeakScheme.refusal(value.scheme.name))
        }
        return value.scheme.rule.verify(password: password, raw: value.raw, context: context)
    }

    /// Stores crypt(3) under the prefix Dovecot reads it with, SHA512-CRYPT unless
    /// `crypt_method` says otherwise. The weak methods (md5, des) are refused: the value would be
    /// refused again at the next login unless `allow_weak_schemes` is set.
    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        let cryptMethod = context.cryptMethod ?? .sha512
        let scheme: String
        switch cryptMethod {
        case .yescrypt: scheme = "CRYPT"
        case .sha512: scheme = "SHA512-CRYPT"
        case .sha256: scheme = "SHA256-CRYPT"
        case .bcrypt: scheme = "BLF-CRYPT"
        case .md5, .des:
            return .failure(
                .init(reason: "crypt_method \(cryptMethod.rawValue) is a weak Dovecot scheme; choose yescrypt, sha512, sha256 or bcrypt"))
        }
        return DovecotNewValue.make(scheme: scheme, password: password, userName: [])
    }
}
