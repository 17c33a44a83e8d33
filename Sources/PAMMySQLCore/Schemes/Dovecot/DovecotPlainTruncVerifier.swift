/// `{PLAIN-TRUNC}<length>-<password>`: a plain password stored in a column that may have cut it.
/// When the stored part is exactly `<length>` bytes, a typed password of at least that length
/// matches on its prefix (Dovecot's `plain_trunc_verify`).
///
/// Stricter than Dovecot: a length of 0 is malformed (Dovecot would compare a 0-byte prefix,
/// so any password matched `{PLAIN-TRUNC}0-`), and an empty stored part is an empty stored
/// password, left to the caller's `nullok` policy.
struct DovecotPlainTruncVerifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        var length = 0
        var index = 0
        while let byte = raw[safe: index], byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
            guard length <= maximumStoredValueLength else { return .malformed("PLAIN-TRUNC length is too large") }
            index += 1
        }
        guard raw[safe: index] == UInt8(ascii: "-") else { return .malformed("PLAIN-TRUNC value lacks its <length>- prefix") }
        guard length > 0 else { return .malformed("PLAIN-TRUNC length is 0") }
        let stored = raw.slice((index + 1)..<raw.count)
        guard !stored.isEmpty else { return .storedSecretIsEmpty }
        if stored.count == length, password.count >= length {
            return password.slice(0..<length).constantTimeEquals(stored) ? .match : .mismatch
        }
        return password.constantTimeEquals(stored) ? .match : .mismatch
    }
}

/// Writes `<length>-<password>`. Unlike `doveadm pw`, which writes the bare password that
/// Dovecot's own `plain_trunc_verify` then refuses ("missing length: prefix").
extension DovecotPlainTruncVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        .success(SecretBytes(Array("\(password.count)-".utf8)).appending(password))
    }
}
