/// crypt=2: MySQL's `PASSWORD()`, `*` followed by the uppercase hex of SHA1(SHA1(password)),
/// or with `use_323_passwd` the pre-4.1 `OLD_PASSWORD()` (16 lowercase hex digits).
///
/// pam_mysql's own copy of this function zeroed `strlen(password)` bytes of a 20-byte stack
/// buffer and killed the host process for passwords of 58 bytes or more; here the length only
/// feeds the digest.
struct MySQLPasswordScheme: PasswordScheme {
    let name = "mysql"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        if context.useMySQL323 {
            guard stored.count == 16 else { return .malformed("stored value is not 16 hex digits of OLD_PASSWORD()") }
            if let defect = Hex.defect(in: stored, range: 0..<16, case: .lower) { return .malformed("stored value \(defect)") }
            return Self.legacyMySQL323(password).constantTimeEquals(stored) ? .match : .mismatch
        }
        guard stored.count == 41, stored[safe: 0] == UInt8(ascii: "*") else {
            return .malformed("stored value is not `*` plus 40 hex digits of PASSWORD()")
        }
        if let defect = Hex.defect(in: stored, range: 1..<41, case: .upper) { return .malformed("stored value \(defect)") }
        guard let inner = DigestAlgorithm.sha1.digest(password), let outer = DigestAlgorithm.sha1.digest(inner) else {
            return .malformed("libcrypto failed to compute SHA-1")
        }
        let computed = SecretBytes(Array("*".utf8)).appending(Hex.encode(outer, case: .upper))
        return computed.constantTimeEquals(stored) ? .match : .mismatch
    }

    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError> {
        if context.useMySQL323 { return .success(Self.legacyMySQL323(password)) }
        guard let inner = DigestAlgorithm.sha1.digest(password), let outer = DigestAlgorithm.sha1.digest(inner) else {
            return .failure(.libcryptoFailed)
        }
        return .success(SecretBytes(Array("*".utf8)).appending(Hex.encode(outer, case: .upper)))
    }

    /// MySQL 3.23's `OLD_PASSWORD()`: skips spaces and tabs; only the low 31 bits of each
    /// accumulator survive, so 64-bit wrapping arithmetic gives the same result as the C code.
    static func legacyMySQL323(_ password: SecretBytes) -> SecretBytes {
        var nr: UInt64 = 1_345_345_333
        var add: UInt64 = 7
        var nr2: UInt64 = 0x1234_5671
        password.withUnsafeBytes { bytes in
            for byte in bytes where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                let value = UInt64(byte)
                nr ^= (((nr & 63) &+ add) &* value) &+ (nr << 8)
                nr2 &+= (nr2 << 8) ^ nr
                add &+= value
            }
        }
        let words = [UInt32(truncatingIfNeeded: nr & 0x7fff_ffff), UInt32(truncatingIfNeeded: nr2 & 0x7fff_ffff)]
        let raw = SecretBytes(zeroedCount: 8)
        raw.withUnsafeMutableBytes { target in
            for (i, word) in words.enumerated() {
                for k in 0..<4 { target[i * 4 + k] = UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * k)) }
            }
        }
        return Hex.encode(raw, case: .lower)
    }
}
