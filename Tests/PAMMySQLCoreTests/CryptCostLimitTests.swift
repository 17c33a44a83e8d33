import PAMMySQLCore
import XCTest

/// Every work factor a crypt(3) value can carry is capped before libxcrypt runs (README
/// difference "Capped work factors"). Each vector is a setting (what follows it does not matter to the cap) and the
/// refusal, or nil for a value within the caps.
final class CryptCostLimitTests: XCTestCase {
    static let vectors: [(setting: String, refusal: String?)] = [
        // SHA-crypt rounds.
        ("$6$rounds=1000000$saltsalt$", nil),
        ("$5$rounds=1000000$saltsalt$", nil),
        ("$6$rounds=1000001$saltsalt$", "SHA-crypt rounds exceed 1000000"),
        ("$5$rounds=999999999$saltsalt$", "SHA-crypt rounds exceed 1000000"),
        // bcrypt cost, every prefix.
        ("$2b$13$aaaaaaaaaaaaaaaaaaaaaa", nil),
        ("$2y$10$onYkUEKoKBcWnrgFqjq5.e", nil),
        ("$2b$17$aaaaaaaaaaaaaaaaaaaaaa", "bcrypt cost exceeds 16"),
        ("$2a$16$aaaaaaaaaaaaaaaaaaaaaa", nil),
        ("$2x$20$aaaaaaaaaaaaaaaaaaaaaa", "bcrypt cost exceeds 16"),
        ("$2y$31$aaaaaaaaaaaaaaaaaaaaaa", "bcrypt cost exceeds 16"),
        // yescrypt: j = flavour, then log2(N) - 1 and r - 1 as itoa64 ('9' = 11, 'B' = 13, 'T' = 31).
        ("$y$j9T$saltsaltsaltsalt$", nil),  // Debian's default: N 2^12, r 32, 16 MiB
        ("$y$jBT$saltsaltsaltsalt$", nil),  // libxcrypt cost 7: N 2^14, r 32, 64 MiB
        ("$y$jCT$saltsaltsaltsalt$", "yescrypt memory 128*N*r exceeds 64 MiB"),
        ("$y$jFT$saltsaltsaltsalt$", "yescrypt memory 128*N*r exceeds 64 MiB"),
        ("$y$j9z.....$saltsaltsaltsalt$", "yescrypt memory 128*N*r exceeds 64 MiB"),  // r from a 6-character number
        ("$y$j9T..$saltsaltsaltsalt$", nil),  // have = 1: p = 2
        ("$y$.9T.X$saltsaltsaltsalt$", "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // classic flavour, p 37: 1.4 s
        ("$y$j9T.X$saltsaltsaltsalt$", "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // p = 37
        ("$y$jBT/.$saltsaltsaltsalt$", nil),  // have = 2: t = 1, 2^19 x 2 blocks
        ("$y$jBT/0$saltsaltsaltsalt$", "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // t = 3
        ("$y$j9T/U$saltsaltsaltsalt$", "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // t = 33
        ("$y$j9T/w.jj$saltsaltsaltsalt$", "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // t = 20,000: minutes
        ("$y$j9T1.$saltsaltsaltsalt$", nil),  // have = 4 (g): libxcrypt refuses it unhashed
        // gost-yescrypt: the same parameters after $gy$.
        ("$gy$j9T$saltsaltsaltsalt$", nil),
        ("$gy$jCT$saltsaltsaltsalt$", "gost-yescrypt memory 128*N*r exceeds 64 MiB"),
        ("$gy$j9T/U$saltsaltsaltsalt$", "gost-yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),
        // scrypt: log2(N) in one character ('C' = 14), r and p in 5 each, little-endian.
        ("$7$CU..../....saltsalt$", nil),  // N 2^14, r 32, p 1: 64 MiB
        ("$7$CU....0....saltsalt$", nil),  // p 2
        ("$7$DU..../....saltsalt$", "scrypt memory 128*N*r exceeds 64 MiB"),
        ("$7$CU....1....saltsalt$", "scrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // p 3
        ("$7$CU..../0...saltsalt$", "scrypt work N*r*p*(t+1) exceeds 2^20 blocks"),  // p 129: 25 s
        // NetBSD sha1crypt iterations (libxcrypt's strtoul takes signs, blanks, leading zeros).
        ("$sha1$262144$saltsalt$", nil),
        ("$sha1$1000000$saltsalt$", nil),
        ("$sha1$1000001$saltsalt$", "NetBSD sha1crypt iterations exceed 1000000"),
        ("$sha1$4294967295$saltsalt$", "NetBSD sha1crypt iterations exceed 1000000"),
        ("$sha1$" + String(repeating: "0", count: 100) + "4294967295$saltsalt$", "NetBSD sha1crypt iterations exceed 1000000"),
        ("$sha1$-1$saltsalt$", "NetBSD sha1crypt iteration count is not a decimal number"),
        ("$sha1$ 4294967295$saltsalt$", "NetBSD sha1crypt iteration count is not a decimal number"),
        ("$sha1$+4294967295$saltsalt$", "NetBSD sha1crypt iteration count is not a decimal number"),
        // SunMD5 rounds, after ',' or '$'.
        ("$md5$saltsalt$", nil),
        ("$md5,rounds=250000$saltsalt$", nil),
        ("$md5,rounds=250001$saltsalt$", "SunMD5 rounds exceed 250000"),
        ("$md5$rounds=4294963199$saltsalt$", "SunMD5 rounds exceed 250000"),
        // BSDi extended DES: 4 characters of count, little-endian.
        ("_J9..salt", nil),  // 725, the BSDs' default
        ("_/..0salt", nil),  // 1 + 2 x 2^18 = 524,289
        ("_zzz1salt", "BSDi DES iteration count exceeds 1000000"),  // 1,048,575
        ("_zzzzsalt", "BSDi DES iteration count exceeds 1000000"),  // 16,777,215
        // Methods of fixed cost.
        ("$1$saltsalt$", nil), ("$3$$", nil), ("ab01234567890", nil), ("", nil),
    ]

    func testEveryCostParameterIsCapped() {
        for (setting, refusal) in Self.vectors {
            XCTAssertEqual(CryptCostLimit.excess(in: SecretBytes(Array(setting.utf8))), refusal, setting)
        }
    }

    /// The same refusals through the schemes that hand values to libxcrypt: crypt=1 and
    /// Dovecot's CRYPT family, prefixed, base64-encoded and unprefixed.
    func testCryptModeAndDovecotCryptSchemesGoThroughTheCaps() {
        let password = SecretBytes(Array("secret".utf8))
        let context = VerificationContext(userName: Array("user".utf8), allowWeakSchemes: true)
        for (vector, refusal) in Self.vectors {
            guard let refusal else { continue }
            // A whole bcrypt value: BLF-CRYPT checks the length before the cost.
            let setting = vector.hasPrefix("$2") ? vector + String(repeating: "a", count: 31) : vector
            let base64 = Base64.encode(SecretBytes(Array(setting.utf8))).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            var forms: [(CryptMode, String)] = [(.crypt, setting), (.dovecot, "{CRYPT}" + setting), (.dovecot, "{CRYPT.b64}" + base64)]
            if setting.hasPrefix("$6$") { forms.append((.dovecot, "{SHA512-CRYPT}" + setting)) }
            if setting.hasPrefix("$5$") { forms.append((.dovecot, "{SHA256-CRYPT}" + setting)) }
            if setting.hasPrefix("$2") { forms.append((.dovecot, "{BLF-CRYPT}" + setting)) }
            if setting.hasPrefix("$y$") || setting.hasPrefix("$6$") || setting.hasPrefix("$2") { forms.append((.dovecot, setting)) }
            for (mode, stored) in forms {
                let result = PasswordSchemes.verify(
                    mode: mode, password: password, stored: SecretBytes(Array(stored.utf8)), context: context)
                XCTAssertEqual(result, .malformed(refusal), "\(mode) \(stored)")
            }
        }
    }

    func testArgon2MemoryTimesPassesIsCapped() {
        let context = VerificationContext(userName: Array("user".utf8))
        func verify(_ stored: String) -> VerificationResult {
            PasswordSchemes.verify(
                mode: .dovecot, password: SecretBytes(Array("x".utf8)), stored: SecretBytes(Array(stored.utf8)), context: context)
        }
        let refusal = VerificationResult.malformed("Argon2 m*t exceeds 786432 (KiB x passes)")
        XCTAssertEqual(verify("{ARGON2ID}$argon2id$v=19$m=262144,t=4,p=1$c2FsdHNhbHQ$aGFzaA"), refusal)
        XCTAssertEqual(verify("{ARGON2I}$argon2i$v=19$m=131072,t=7,p=1$c2FsdHNhbHQ$aGFzaA"), refusal)
        XCTAssertEqual(verify("{ARGON2ID}$argon2id$v=19$m=262144,t=8,p=8$c2FsdHNhbHQ$aGFzaA"), refusal)
        // libsodium's MODERATE levels are the largest accepted.
        XCTAssertEqual(verify("{ARGON2ID}$argon2id$v=19$m=262144,t=3,p=1$c2FsdHNhbHQ$aGFzaA"), .mismatch)
        XCTAssertEqual(verify("{ARGON2I}$argon2i$v=19$m=131072,t=6,p=1$c2FsdHNhbHQ$aGFzaA"), .mismatch)
    }
}
