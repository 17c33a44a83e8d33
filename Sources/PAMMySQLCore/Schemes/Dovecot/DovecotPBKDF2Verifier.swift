/// `{PBKDF2}$1$<salt>$<rounds>$<40 hex>`: PBKDF2-HMAC-SHA1 with a 20-byte key, the salt being
/// the salt *text* as written (Dovecot's `pbkdf2_verify`). Rounds above our cap are refused.
struct DovecotPBKDF2Verifier: DovecotVerifier {
    /// What Dovecot writes: 5,000 rounds, 16 salt characters.
    static let newRounds = 5000
    static let newSaltLength = 16

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        guard raw.hasPrefix("$1$") else { return .malformed("PBKDF2 value does not start with $1$") }
        let fields = DovecotFields.split(raw.slice(3..<raw.count), separator: UInt8(ascii: "$"))
        guard fields.count == 3 else { return .malformed("PBKDF2 value has \(fields.count) fields instead of 3") }
        guard let rounds = DovecotFields.unsignedInteger(fields[1], limit: DovecotCostLimit.maximumPBKDF2Rounds), rounds >= 1
        else { return .malformed("PBKDF2 rounds are not between 1 and \(DovecotCostLimit.maximumPBKDF2Rounds)") }
        guard fields[2].count == 40, let expected = Hex.decode(fields[2]) else {
            return .malformed("PBKDF2 hash is not 40 hex digits")
        }
        let derived = PBKDF2.derive(password: password, salt: fields[0], iterations: rounds, length: 20, algorithm: .sha1)
        return compareGenerated(derived, with: expected, scheme: "PBKDF2")
    }
}

extension DovecotPBKDF2Verifier: DovecotGenerator {

    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard let salt = SecureRandom.string(Self.newSaltLength, alphabet: CryptAlphabet.itoa64) else { return .failure(.noRandomBytes) }
        guard
            let derived = PBKDF2.derive(
                password: password, salt: SecretBytes(salt), iterations: Self.newRounds, length: 20, algorithm: .sha1)
        else { return .failure(.libcryptoFailed) }
        return .success(
            SecretBytes(Array("$1$".utf8) + salt + Array("$\(Self.newRounds)$".utf8)).appending(Hex.encode(derived, case: .lower)))
    }
}
