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
}
