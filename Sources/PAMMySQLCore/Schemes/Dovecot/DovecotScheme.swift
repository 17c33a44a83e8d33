/// How a scheme's bytes are written when no `.b64`/`.hex` suffix says otherwise (Dovecot's
/// `enum password_encoding`).
public enum DovecotEncoding: Sendable {
    case none, base64, hex
}

/// The verification rule of one scheme family. Gets the stored value already stripped of its
/// `{SCHEME}` prefix and decoded (hex or base64 as the scheme and suffix say).
protocol DovecotVerifier: Sendable {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult
}

/// How one scheme family makes a new value (Dovecot's `generate` callback): the raw bytes,
/// before the `{SCHEME}` prefix and the hex or base64 encoding, with fresh random salts.
/// Each verifier's file holds its generator, so the two cannot drift apart.
protocol DovecotGenerator: Sendable {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError>
}

/// A scheme's two rules: every scheme we verify, we can also write.
typealias DovecotRule = DovecotVerifier & DovecotGenerator

/// One of Dovecot's schemes as a plain record, like Dovecot's `struct password_scheme`: name,
/// default encoding, raw length (0 when it varies), the "weak" flag of Dovecot 2.4 and the rules.
struct DovecotScheme: Sendable {
    let name: String
    let defaultEncoding: DovecotEncoding
    let rawLength: Int
    let isWeak: Bool
    let rule: any DovecotRule

    init(_ name: String, _ defaultEncoding: DovecotEncoding, rawLength: Int = 0, weak: Bool = false, _ rule: any DovecotRule) {
        self.name = name
        self.defaultEncoding = defaultEncoding
        self.rawLength = rawLength
        self.isWeak = weak
        self.rule = rule
    }
}

/// Dovecot's generic rule for schemes that only know how to generate: same length, then a
/// constant-time comparison (`password_verify` without a `password_verify` callback).
func compareGenerated(_ generated: SecretBytes?, with raw: SecretBytes, scheme: String) -> VerificationResult {
    guard let generated else { return .malformed("libcrypto failed to compute \(scheme)") }
    return generated.constantTimeEquals(raw) ? .match : .mismatch
}

/// Caps on the work a stored value can ask for. The value comes from the database: a corrupted
/// or hostile row must not pin a CPU, or allocate a gigabyte, inside sshd or saslauthd.
/// crypt(3) values use `CryptCostLimit`.
public enum DovecotCostLimit {
    /// PBKDF2 rounds; Dovecot writes 5,000.
    public static let maximumPBKDF2Rounds = 1_000_000
    /// SCRAM iterations; Dovecot writes 4,096 and requires at least that many.
    public static let maximumSCRAMIterations = 1_000_000
    /// Argon2 memory in KiB (256 MiB: libsodium's MODERATE level; Dovecot writes 32 or 64 MiB).
    public static let maximumArgon2MemoryKiB = 262_144
    /// Argon2 passes (Dovecot writes 3 or 4; libsodium's MODERATE argon2i level is 6).
    public static let maximumArgon2Passes = 8
    /// Argon2 lanes.
    public static let maximumArgon2Lanes = 8
    /// Argon2 memory × passes, in KiB × passes: 768 MiB, libsodium's MODERATE levels (argon2id
    /// 256 MiB × 3 = 0.45 s, argon2i 128 MiB × 6 = 0.35 s); 256 MiB × 8 passes would take 1 s.
    public static let maximumArgon2MemoryPasses = 786_432
    /// OTP sequence number: one hash per step (Dovecot starts at 1,024 and counts down).
    public static let maximumOTPSequence = 100_000
}
