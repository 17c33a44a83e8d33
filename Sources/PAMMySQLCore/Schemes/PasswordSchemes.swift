/// The verifier registry: pam_mysql's numbered modes and `crypt=dovecot`.
public enum PasswordSchemes {
    public static func scheme(for mode: CryptMode) -> any PasswordScheme {
        switch mode {
        case .plain: PlainScheme()
        case .crypt: CryptScheme()
        case .mysql: MySQLPasswordScheme()
        case .md5: HexDigestScheme(name: "md5", algorithm: .md5)
        case .sha1: HexDigestScheme(name: "sha1", algorithm: .sha1)
        case .drupal7: DrupalScheme()
        case .joomla15: JoomlaScheme()
        case .ssha: SSHAScheme()
        case .sha512: HexDigestScheme(name: "sha512", algorithm: .sha512)
        case .sha256: HexDigestScheme(name: "sha256", algorithm: .sha256)
        case .dovecot: DovecotPasswordScheme()
        }
    }

    /// A valid stored value of `mode` for a password nobody knows. Verifying against it when the
    /// user does not exist makes "unknown user" cost as much as "wrong password", so response
    /// times do not tell which user names exist (OpenSSH's fake password does the same).
    public static func decoyStoredValue(for mode: CryptMode) -> SecretBytes {
        let value: String =
            switch mode {
            case .plain: "decoy-password-not-used"
            case .crypt: "$6$decoysaltdecoy$QcezYuN.ZCxTRnZaUk8dZflh/DUUiUlyhOISyoN8UrH5DVhBL3DPLlj/IsKhKxmmR.fihhNrFFznJFwrIsEpm1"
            case .mysql: "*0000000000000000000000000000000000000000"
            case .md5: "00000000000000000000000000000000"
            case .sha1: "0000000000000000000000000000000000000000"
            case .drupal7: "$S$Ddecoysal" + String(repeating: "0", count: 43)
            case .joomla15: "00000000000000000000000000000000:decoysaltdecoysaltdecoysaltdecoy"
            case .ssha: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            case .sha512: String(repeating: "0", count: 128)
            case .sha256: String(repeating: "0", count: 64)
            // The crypt=1 decoy under a prefix: a real SHA-512-crypt run, never refused as weak.
            case .dovecot:
                "{SHA512-CRYPT}$6$decoysaltdecoy$QcezYuN.ZCxTRnZaUk8dZflh/DUUiUlyhOISyoN8UrH5DVhBL3DPLlj/IsKhKxmmR.fihhNrFFznJFwrIsEpm1"
            }
        return SecretBytes(Array(value.utf8))
    }

    /// Verifies with the length limit every mode shares applied first.
    public static func verify(
        mode: CryptMode, password: SecretBytes, stored: SecretBytes, context: VerificationContext
    ) -> VerificationResult {
        guard stored.count <= maximumStoredValueLength else {
            return .malformed("stored value is \(stored.count) bytes, more than \(maximumStoredValueLength)")
        }
        return scheme(for: mode).verify(password: password, stored: stored, context: context)
    }
}
