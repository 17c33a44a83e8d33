#if canImport(Glibc)
import Glibc
#endif
internal import CXCrypt

/// crypt=1: the stored value is a crypt(3) string and is its own setting, as in pam_mysql.
/// Every method libxcrypt knows works (DES, `$1$`, `$5$`, `$6$`, bcrypt, yescrypt, …).
struct CryptScheme: PasswordScheme {
    let name = "crypt"

    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult {
        // PAM hands out C strings, so a NUL can only come from a caller bypassing PAM; C would
        // hash a prefix of the password, so refuse instead.
        guard !password.containsNUL else { return .mismatch }
        // libxcrypt's limit counts the terminating NUL: 512 bytes are one too many for it.
        guard password.count < Int(CRYPT_MAX_PASSPHRASE_SIZE) else { return .mismatch }
        return cryptCompare(password: password, stored: stored, lengthMismatchIsMalformed: true)
    }
}

/// Hashes with the stored value as its own setting through libxcrypt (cost-capped) and compares
/// the whole result in constant time. crypt(3) output for a setting has a fixed length, so a
/// stored value of another length (truncated or padded) can never match: pam_mysql's crypt=1
/// reports it as malformed, Dovecot's CRYPT schemes as a plain mismatch.
func cryptCompare(password: SecretBytes, stored: SecretBytes, lengthMismatchIsMalformed: Bool = false) -> VerificationResult {
    guard !stored.containsNUL else { return .malformed("stored crypt(3) value contains a NUL byte") }
    if let excess = CryptCostLimit.excess(in: stored) { return .malformed(excess) }
    guard let computed = CryptFunction.hash(password: password, setting: stored) else {
        return .malformed("libxcrypt does not accept the stored value as a crypt(3) setting")
    }
    if lengthMismatchIsMalformed, computed.count != stored.count {
        return .malformed("stored crypt(3) value is \(stored.count) characters, a complete one is \(computed.count)")
    }
    return computed.constantTimeEquals(stored) ? .match : .mismatch
}

/// The one wrapper around libxcrypt's `crypt_rn`, which is thread-safe and returns NULL (not a
/// `*0` token) on failure. Its ~32 KiB work area is heap-allocated, zeroed before use as
/// libxcrypt requires, and wiped afterwards because it holds password-derived state.
public enum CryptFunction {
    public static func hash(password: SecretBytes, setting: SecretBytes) -> SecretBytes? {
        let size = MemoryLayout<crypt_data>.size
        let area = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        memset(area, 0, size)
        defer {
            explicit_bzero(area, size)
            area.deallocate()
        }
        return password.withCString { phrase in
            setting.withCString { setting -> SecretBytes? in
                guard let result = crypt_rn(phrase, setting, area, Int32(size)) else { return nil }
                // Failure tokens start with '*'; no valid hash does.
                if result.pointee == CChar(UInt8(ascii: "*")) { return nil }
                return SecretBytes(cString: result)
            }
        }
    }

    /// A new salt for `prefix` from libxcrypt's secure random source (`crypt_gensalt_rn`
    /// with a NULL random buffer), or, given `fixedBytes`, the setting those bytes make (the
    /// decoy's: the same every time, and nobody's salt).
    public static func generateSalt(prefix: String, count: UInt = 0, fixedBytes: [UInt8]? = nil) -> String? {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            guard let fixedBytes else {
                return crypt_gensalt_rn(prefix, count, nil, 0, buffer.baseAddress, Int32(buffer.count)) != nil
            }
            let signed = fixedBytes.map { CChar(bitPattern: $0) }
            return crypt_gensalt_rn(prefix, count, signed, Int32(signed.count), buffer.baseAddress, Int32(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
