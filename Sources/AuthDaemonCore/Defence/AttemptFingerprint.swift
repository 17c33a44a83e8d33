import PAMMySQLCore

/// What the penalty remembers of an attempt to tell "the same user and wrong password again" (a
/// phone with an old password retrying) from guessing: 64 bits of HMAC-SHA-256 under a key drawn
/// at start-up and never stored. Neither the password nor an unkeyed digest of it is kept, so
/// the table is no dictionary-attack oracle; Dovecot keeps a CRC32 of user and password instead.
public struct AttemptFingerprint: Sendable {
    let value: UInt64

    init(value: UInt64) { self.value = value }

    /// nil when the digest cannot be computed (the attempt then counts as a new one).
    public init?(user: [UInt8], password: SecretBytes, key: SecretBytes) {
        // The user's length first: ("ab", "c") and ("a", "bc") must not collide.
        var length = UInt32(clamping: user.count).bigEndian
        let prefix = withUnsafeBytes(of: &length) { SecretBytes(copying: $0) }
        let message = prefix.appending(SecretBytes(user)).appending(password)
        guard let mac = HMAC.authenticate(key: key, message: message, algorithm: .sha256), mac.count >= 8 else { return nil }
        value = mac.withUnsafeBytes { bytes in bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }

    /// Without a branch on the bits.
    func matches(_ other: AttemptFingerprint) -> Bool {
        (value ^ other.value) == 0
    }
}
