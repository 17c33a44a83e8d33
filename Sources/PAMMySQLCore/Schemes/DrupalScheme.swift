/// crypt=5: Drupal 7's phpass variant. `$S$` iterates SHA-512, `$P$` and `$H$` (phpBB3) MD5.
/// `U$` marks a Drupal 6 MD5 hash rehashed by Drupal 7: the input is the hex MD5 of the
/// password. pam_mysql 0.8.2 compared its result without the `U` and never matched; we do.
struct DrupalScheme: PasswordScheme {
    let name = "drupal7"

    /// Drupal 7 accepts 2^7…2^30 iterations. We stop at 2^20 (about half a second of SHA-512):
    /// Drupal's own default is 2^15, and a value read from the database must not pin a CPU.
    static let minimumLog2Count = 7
    static let maximumLog2Count = 20
    /// Drupal's `DRUPAL_HASH_LENGTH`: stored hashes are cut to 55 characters.
    static let hashLength = 55

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        if stored.hasPrefix("U$") {
            guard let md5 = DigestAlgorithm.md5.digest(password) else { return .malformed("libcrypto failed") }
            return verifyPhpass(password: Hex.encode(md5, case: .lower), stored: stored.slice(1..<stored.count))
        }
        return verifyPhpass(password: password, stored: stored)
    }

    /// Drupal 7's own default: SHA-512, 2^15 iterations ('D'), 8 salt characters.
    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        guard let salt = SecureRandom.string(8, alphabet: CryptAlphabet.itoa64) else { return .failure(.noRandomBytes) }
        return Self.hash(password: password, setting: SecretBytes(Array("$S$D".utf8) + salt))
            .map { .success($0) } ?? .failure(.libcryptoFailed)
    }

    private func verifyPhpass(password: SecretBytes, stored: SecretBytes) -> VerificationResult {
        guard stored.count >= 12, stored[safe: 0] == UInt8(ascii: "$"), stored[safe: 2] == UInt8(ascii: "$") else {
            return .malformed("stored value is not a Drupal hash ($S$, $P$, $H$ or U$)")
        }
        switch stored[safe: 1] {
        case UInt8(ascii: "S"), UInt8(ascii: "P"), UInt8(ascii: "H"): break
        default: return .malformed("stored value is not a Drupal hash ($S$, $P$, $H$ or U$)")
        }
        guard let costCharacter = stored[safe: 3], let log2Count = CryptAlphabet.itoa64.firstIndex(of: costCharacter),
            log2Count >= Self.minimumLog2Count
        else { return .malformed("Drupal iteration count outside of range") }
        guard log2Count <= Self.maximumLog2Count else {
            return .malformed("Drupal iteration count 2^\(log2Count) exceeds the cap 2^\(Self.maximumLog2Count)")
        }
        let expectedLength = stored[safe: 1] == UInt8(ascii: "S") ? Self.hashLength : 34
        guard stored.count == expectedLength else {
            return .malformed("Drupal hash is \(stored.count) characters, a complete one has \(expectedLength)")
        }
        guard let computed = Self.hash(password: password, setting: stored) else { return .malformed("libcrypto failed") }
        return computed.constantTimeEquals(stored) ? .match : .mismatch
    }

    /// The Drupal hash of `password` for a setting whose first 12 characters are `$X$C` plus an
    /// 8-character salt (its cost already checked); nil only if libcrypto fails.
    static func hash(password: SecretBytes, setting: SecretBytes) -> SecretBytes? {
        guard let costCharacter = setting[safe: 3], let log2Count = CryptAlphabet.itoa64.firstIndex(of: costCharacter) else { return nil }
        let algorithm: DigestAlgorithm = setting[safe: 1] == UInt8(ascii: "S") ? .sha512 : .md5
        let prefix = setting.slice(0..<12)
        let salt = setting.slice(4..<12)
        guard let chain = DigestChain(algorithm) else { return nil }
        let hash = SecretBytes(zeroedCount: algorithm.length)
        guard chain.digest(salt, password, into: hash) else { return nil }
        for _ in 0..<(1 << log2Count) {
            guard chain.digest(hash, password, into: hash) else { return nil }
        }
        let full = prefix.appending(Self.encode64(hash))
        return full.slice(0..<min(full.count, hashLength))
    }

    /// phpass's little-endian 6-bit encoding.
    static func encode64(_ input: SecretBytes) -> SecretBytes {
        let count = input.count
        let out = SecretBytes(zeroedCount: (count * 8 + 5) / 6)
        input.withUnsafeBytes { bytes in
            out.withUnsafeMutableBytes { target in
                var o = 0
                var i = 0
                func emit(_ value: UInt32) {
                    if o < target.count { target[o] = CryptAlphabet.itoa64[Int(value & 0x3f)] }
                    o += 1
                }
                while i < count {
                    var value = UInt32(bytes[i])
                    i += 1
                    emit(value)
                    if i < count { value |= UInt32(bytes[i]) << 8 }
                    emit(value >> 6)
                    if i >= count { break }
                    i += 1
                    if i < count { value |= UInt32(bytes[i]) << 16 }
                    emit(value >> 12)
                    if i >= count { break }
                    i += 1
                    emit(value >> 18)
                }
            }
        }
        return out
    }
}
