/// `{BLF-CRYPT}`: bcrypt, `$2a$`, `$2b$`, `$2x$` or `$2y$` + cost + 53 characters. Dovecot uses
/// its bundled crypt_blowfish; libxcrypt implements the same algorithm and all four prefixes.
struct DovecotBlowfishCryptVerifier: DovecotVerifier {
    /// `$2y$NN$` plus the 22-character salt (Dovecot's `CRYPT_BLF_PREFIX_LEN`, 30 with its NUL).
    static let settingLength = 29

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard !raw.isEmpty else { return .mismatch }
        guard raw.count > Self.settingLength, raw.hasPrefix("$2"), raw[safe: 3] == UInt8(ascii: "$"),
            let variant = raw[safe: 2], variant >= UInt8(ascii: "a"), variant <= UInt8(ascii: "z")
        else { return .malformed("BLF-CRYPT value is not a bcrypt hash") }
        return cryptCompare(password: password, stored: raw)
    }
}

/// `$2y$`, the variant Dovecot writes, at cost 10 (doveadm's default is 5).
extension DovecotBlowfishCryptVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        CryptScheme.newValue(password: password, prefix: "$2y$", cost: CryptMethod.bcrypt.gensalt.count)
    }
}
