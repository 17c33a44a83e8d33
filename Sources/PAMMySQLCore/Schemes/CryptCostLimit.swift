/// Caps on the work factors a stored crypt(3) value can ask for, checked before libxcrypt runs.
/// The value comes from the database: a corrupted or hostile row must not pin a CPU (or take a
/// gigabyte) inside sshd or saslauthd. Every method libxcrypt accepts with a cost parameter is
/// covered, parsed the way libxcrypt parses it (so no spelling slips past); methods of fixed
/// cost (DES, bigcrypt, `$1$`, `$3$`) need no cap. crypt=1 and Dovecot's CRYPT, SHA*-CRYPT and
/// BLF-CRYPT all come here through `cryptCompare`.
///
/// Each cap is far above what the method's own tools write, and keeps one verification well
/// under a second: the times are one verification on the 2-core test machine (README
/// difference "Capped work factors").
public enum CryptCostLimit {
    /// `$5$`/`$6$` `rounds=` (libxcrypt accepts up to 999,999,999; 5,000 is the default):
    /// 1,000,000 takes 0.20 s (`$6$`) and 0.26 s (`$5$`).
    public static let maximumSHACryptRounds = 1_000_000
    /// bcrypt `$2a$`/`$2b$`/`$2x$`/`$2y$` cost (log2 of the rounds, up to 31): PHP and
    /// postfixadmin write 10, PHP 8.4 and Laravel 12; 13 takes 0.36 s, 16 about 3 s. 16 is the cap
    /// of earlier releases, kept so that no table that logged in before is locked out.
    public static let maximumBcryptCost = 16
    /// yescrypt `$y$`, gost-yescrypt `$gy$` and scrypt `$7$` memory, 128 × N × r bytes:
    /// 64 MiB is libxcrypt's cost 7 (0.07 s; `$7$` at 64 MiB 0.19 s); Debian writes cost 5 (`$y$j9T$`, 16 MiB).
    public static let maximumYescryptMemory: UInt64 = 64 << 20
    /// The same methods' work, N × r × p × (t + 1) blocks of 128 bytes: two passes over the
    /// largest memory allowed (0.4 s for `$7$` with p = 2). libxcrypt and libsodium write
    /// p = 1 and t = 0, and an absurd p or t multiplies the time without using more memory.
    public static let maximumYescryptWork: UInt64 = 1 << 20
    /// NetBSD sha1crypt `$sha1$<iterations>$` (up to 2^32 − 1, hours of CPU): libxcrypt writes
    /// up to 262,144 (0.14 s); 1,000,000 HMAC-SHA1 take 0.49 s.
    public static let maximumSHA1CryptIterations = 1_000_000
    /// SunMD5 `$md5,rounds=N$` / `$md5$rounds=N$` rounds beyond the base 4,096 (up to
    /// 2^32 − 4,097): libxcrypt writes 32,768 to 98,303; 250,000 take 0.29 s (each round
    /// may hash a 1.5 KB quotation, so rounds cost ten times a SHA-crypt round).
    public static let maximumSunMD5Rounds = 250_000
    /// BSDi extended DES `_CCCC…` iteration count (24 bits, up to 16,777,215 = 1.8 s):
    /// the BSDs write 725; 1,000,000 take 0.11 s.
    public static let maximumBSDiCount = 1_000_000

    /// A description of the excess, or nil when the value's cost is acceptable (or the value
    /// is one libxcrypt refuses before doing any work).
    public static func excess(in stored: SecretBytes) -> String? {
        // Read in place: the stored hash is a secret and an Array copy could not be wiped.
        stored.withUnsafeBytes { text -> String? in
            func startsWith(_ prefix: String) -> Bool { text.starts(with: prefix.utf8) }
            if startsWith("$5$rounds=") || startsWith("$6$rounds=") {
                return decimal(in: text, from: 10, limit: maximumSHACryptRounds) == nil
                    ? "SHA-crypt rounds exceed \(maximumSHACryptRounds)" : nil
            }
            if text.count >= 6, startsWith("$2"), text[3] == UInt8(ascii: "$") {
                let tens = Int(text[4]) - 48
                let ones = Int(text[5]) - 48
                guard (0...9).contains(tens), (0...9).contains(ones) else { return nil }  // libxcrypt rejects it
                return tens * 10 + ones > maximumBcryptCost ? "bcrypt cost exceeds \(maximumBcryptCost)" : nil
            }
            if startsWith("$y$") { return YescryptParameters(yescrypt: text, from: 3)?.excess(method: "yescrypt") }
            if startsWith("$gy$") { return YescryptParameters(yescrypt: text, from: 4)?.excess(method: "gost-yescrypt") }
            if startsWith("$7$") { return YescryptParameters(scrypt: text)?.excess(method: "scrypt") }
            if startsWith("$sha1$") {
                // libxcrypt reads the count with strtoul, which also takes blanks, a sign and
                // wraps "-1" to 2^64 − 1: only plain digits are accepted here.
                guard let first = text[safe: 6], first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
                    return "NetBSD sha1crypt iteration count is not a decimal number"
                }
                return decimal(in: text, from: 6, limit: maximumSHA1CryptIterations) == nil
                    ? "NetBSD sha1crypt iterations exceed \(maximumSHA1CryptIterations)" : nil
            }
            if startsWith("$md5$rounds=") || startsWith("$md5,rounds=") {
                return decimal(in: text, from: 12, limit: maximumSunMD5Rounds) == nil
                    ? "SunMD5 rounds exceed \(maximumSunMD5Rounds)" : nil
            }
            if startsWith("_"), text.count >= 5 {
                var count = 0
                for (position, byte) in text[1..<5].enumerated() {
                    guard let digit = CryptAlphabet.itoa64.firstIndex(of: byte) else { return nil }  // libxcrypt rejects it
                    count |= digit << (6 * position)
                }
                return count > maximumBSDiCount ? "BSDi DES iteration count exceeds \(maximumBSDiCount)" : nil
            }
            return nil
        }
    }

    /// The decimal number starting at `index` (up to the first non-digit), or nil once it
    /// exceeds `limit`. Leading zeros count for nothing, however many there are.
    static func decimal(in text: UnsafeRawBufferPointer, from index: Int, limit: Int) -> Int? {
        var value = 0
        for byte in text.dropFirst(index) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            if value > limit { return nil }
        }
        return value
    }
}

extension UnsafeRawBufferPointer {
    fileprivate subscript(safe index: Int) -> UInt8? { index >= 0 && index < count ? self[index] : nil }
}
