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
    /// with a NULL random buffer).
    public static func generateSalt(prefix: String, count: UInt = 0) -> String? {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            crypt_gensalt_rn(prefix, count, nil, 0, buffer.baseAddress, Int32(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Caps on the work factors a stored crypt(3) value can ask for. The value comes from the
/// database: a corrupted or hostile row must not pin a CPU (or a gigabyte) inside sshd.
public enum CryptCostLimit {
    public static let maximumSHACryptRounds = 1_000_000
    public static let maximumBcryptCost = 16
    public static let maximumScryptLog2N = 16


    /// A description of the excess, or nil when the value's cost is acceptable.
    public static func excess(in stored: SecretBytes) -> String? {
        stored.withUnsafeBytes { bytes -> String? in
            // Read in place: the stored hash is a secret and an Array copy could not be wiped.
            let text = UnsafeRawBufferPointer(rebasing: bytes.prefix(64))
            func startsWith(_ prefix: String) -> Bool { text.starts(with: Array(prefix.utf8)) }
            if startsWith("$5$rounds=") || startsWith("$6$rounds=") {
                var rounds = 0
                for byte in text.dropFirst(10) {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                    rounds = rounds * 10 + Int(byte - UInt8(ascii: "0"))
                    if rounds > maximumSHACryptRounds { return "SHA-crypt rounds exceed \(maximumSHACryptRounds)" }
                }
                return nil
            }
            if text.count >= 7, text[0] == UInt8(ascii: "$"), text[1] == UInt8(ascii: "2"), text[3] == UInt8(ascii: "$") {
                let tens = Int(text[4]) - 48
                let ones = Int(text[5]) - 48
                guard (0...9).contains(tens), (0...9).contains(ones) else { return nil }  // libxcrypt rejects it
                if tens * 10 + ones > maximumBcryptCost { return "bcrypt cost exceeds \(maximumBcryptCost)" }
                return nil
            }
            // yescrypt `$y$`/`$gy$`: flavour, then N as log2(N)-1 in one itoa64 character for
            // ordinary values (a longer encoding means an enormous N).
            let yescryptN: Int? = startsWith("$y$") ? 4 : startsWith("$gy$") ? 5 : nil
            if let index = yescryptN, index < text.count {
                guard let value = CryptAlphabet.itoa64.firstIndex(of: text[index]) else { return nil }
                if value + 1 > maximumScryptLog2N { return "yescrypt N exceeds 2^\(maximumScryptLog2N)" }
                return nil
            }
            // scrypt `$7$`: log2(N) in one itoa64 character.
            if startsWith("$7$"), text.count > 3 {
                guard let value = CryptAlphabet.itoa64.firstIndex(of: text[3]) else { return nil }
                if value > maximumScryptLog2N { return "scrypt N exceeds 2^\(maximumScryptLog2N)" }
            }
            return nil
        }
    }
}
