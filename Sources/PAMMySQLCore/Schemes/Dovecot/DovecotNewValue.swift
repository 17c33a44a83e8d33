/// Writes a new `{SCHEME}` value for a password, like `doveadm pw -s SCHEME [-u USER]`
/// (Dovecot's `password_generate_encoded`): the scheme's generator makes the raw bytes, the
/// scheme's default encoding (or a `.HEX`/`.B64` suffix) writes them, the prefix names them.
/// Every value it writes is one `crypt=dovecot` and Dovecot both verify (the unit tests and
/// the Dovecot integration test check each scheme).
public enum DovecotNewValue {
    /// `scheme`: any name `doveadm pw -l` lists, in any case, optionally with `.hex`, `.b64` or
    /// `.base64`. `userName`: the login the value is for (only DIGEST-MD5 mixes it in).
    public static func make(scheme: String, password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard password.count <= maximumPasswordLength else {
            return .failure(.init(reason: "the new password is longer than \(maximumPasswordLength) bytes"))
        }
        // Dovecot hands passwords around as C strings: a NUL would cut it, so refuse it.
        guard !password.containsNUL else { return .failure(.containsNUL) }
        guard let (record, explicit) = DovecotSchemes.lookup(scheme) else {
            return .failure(.init(reason: "unknown Dovecot scheme \(DovecotStoredValue.displayName(scheme))"))
        }
        let raw: SecretBytes
        switch record.rule.generate(password: password, userName: userName) {
        case .failure(let error): return .failure(error)
        case .success(let value): raw = value
        }
        let encoded: SecretBytes
        switch explicit ?? record.defaultEncoding {
        case .none: encoded = raw
        case .hex: encoded = Hex.encode(raw, case: .lower)
        case .base64: encoded = Base64.encode(raw)
        }
        let suffix: String
        switch explicit {
        case nil, .none?: suffix = ""
        case .hex?: suffix = ".HEX"
        case .base64?: suffix = ".B64"
        }
        let prefix = "{\(record.name)\(suffix)}"
        return .success(SecretBytes(Array(prefix.utf8)).appending(encoded))
    }
}
