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
