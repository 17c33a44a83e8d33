import PAMMySQLCore
import XCTest

/// Stored values that crashed or overflowed pam_mysql 0.8.2, or that a corrupted row may hold:
/// each must be a clean `.malformed` (or mismatch), never a trap.
final class MalformedStoredValueTests: XCTestCase {
    func check(_ mode: CryptMode, _ stored: [UInt8], _ password: [UInt8] = Array("secret".utf8), use323: Bool = false) -> VerificationResult
    {
        PasswordSchemes.verify(
            mode: mode, password: SecretBytes(password), stored: SecretBytes(stored), context: VerificationContext(useMySQL323: use323))
    }

    func isMalformed(_ result: VerificationResult) -> Bool {
        if case .malformed = result { return true }
        return false
    }

    func testLongPasswordsWithMySQLModeDoNotOverflow() {
        // pam_mysql aborted with "stack smashing detected" from 58 bytes on.
        for length in [57, 58, 100, 511, 512] {
            let password = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            XCTAssertEqual(check(.mysql, Array("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7".utf8), password), .mismatch)
        }
    }

    func testSSHAValuesThatAbortedPamMySQL() {
        // Salt over 10 bytes (buffer overflow in C): valid for us.
        let raw = SecretBytes(Array("0123456789abcdefghij".utf8) + Array(repeating: UInt8(ascii: "s"), count: 40))
        XCTAssertEqual(check(.ssha, Array(Base64.encode(raw).withUnsafeBytes { Array($0) })), .mismatch)
        XCTAssertTrue(isMalformed(check(.ssha, Array("{SSHA}KnpQ4g1j1OR0Fb9Lksze2BcmJdZhYmNkMTIzNA==".utf8))))
        XCTAssertTrue(isMalformed(check(.ssha, Array("not base64!".utf8))))
        XCTAssertTrue(isMalformed(check(.ssha, Array("YWJj".utf8))))  // decodes to 3 bytes
        XCTAssertTrue(isMalformed(check(.ssha, [])))
    }

    func testJoomlaWithoutColonIsMalformed() {
        XCTAssertTrue(isMalformed(check(.joomla15, Array("6f3ca84e08269eefb6105e695411eafc".utf8))))
        XCTAssertTrue(isMalformed(check(.joomla15, Array(":salt".utf8))))
        XCTAssertTrue(isMalformed(check(.joomla15, Array(repeating: UInt8(ascii: ":"), count: 3000))))
    }

    func testDrupalRangeAndShapeChecks() {
        XCTAssertTrue(isMalformed(check(.drupal7, Array("$S$".utf8))))
        XCTAssertTrue(isMalformed(check(.drupal7, Array("$X$DabcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK".utf8))))
        // Cost character '5' is 2^7 at the lower bound; '4' (2^6) is outside Drupal's range.
        XCTAssertTrue(isMalformed(check(.drupal7, Array("$S$4abcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK".utf8))))
        // 'z' would be 2^63 iterations: capped, refused without hashing.
        XCTAssertTrue(isMalformed(check(.drupal7, Array("$S$zabcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK".utf8))))
        XCTAssertTrue(isMalformed(check(.drupal7, Array("$S$Uabcdefg".utf8))))  // 2^30, Drupal's maximum, over our cap
        XCTAssertTrue(isMalformed(check(.drupal7, Array("U$".utf8))))
    }

    func testCryptCostsFromTheDatabaseAreCapped() {
        XCTAssertTrue(isMalformed(check(.crypt, Array("$6$rounds=999999999$saltsalt$abc".utf8))))
        XCTAssertTrue(isMalformed(check(.crypt, Array("$2y$31$onYkUEKoKBcWnrgFqjq5.eTPF1oRE.WZ9bG6u9MqgUVDeukGzyqIy".utf8))))
        XCTAssertTrue(isMalformed(check(.crypt, Array("$y$jFT$saltsaltsaltsalt$hash".utf8))))
        XCTAssertNil(CryptCostLimit.excess(in: SecretBytes(Array("$6$rounds=5000$saltsalt$x".utf8))))
        XCTAssertNil(CryptCostLimit.excess(in: SecretBytes(Array("$2y$10$x".utf8))))
        XCTAssertNil(CryptCostLimit.excess(in: SecretBytes(Array("$y$j9T$salt$hash".utf8))))
    }

    func testCryptRejectsJunkAndLockedValues() {
        for junk in ["", "!", "!$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6g", "*", "$6$", "\u{1}\u{2}"] {
            XCTAssertNotEqual(check(.crypt, Array(junk.utf8)), .match, junk)
        }
        XCTAssertTrue(isMalformed(check(.crypt, Array("ab\0NANd1rDfiNc".utf8))))
    }

    func testDigestModesRefuseWrongLengths() {
        for mode in [CryptMode.md5, .sha1, .sha256, .sha512] {
            XCTAssertTrue(isMalformed(check(mode, Array("abc".utf8))), "\(mode)")
            XCTAssertTrue(isMalformed(check(mode, [])), "\(mode)")
        }
        XCTAssertTrue(isMalformed(check(.mysql, Array("*14E6".utf8))))
        XCTAssertTrue(isMalformed(check(.mysql, Array("42".utf8), use323: true)))
    }

    func testTruncatedAndNonHexValuesNameTheirDefect() {
        let cases: [(CryptMode, String)] = [
            (.crypt, "$6$saltsalt$TVLlQcbp"), (.mysql, "*14E65567ABDB5135D0CFD9A70B3032C179A49EZZ"),
            (.md5, "zz" + String(repeating: "0", count: 30)), (.sha1, String(repeating: "z", count: 40)),
            (.drupal7, "$S$Daaaaaaaaaa"), (.joomla15, "zzf3ca84e08269eefb6105e695411eafc:salt"),
            (.sha512, String(repeating: "x", count: 128)), (.sha256, String(repeating: "gg", count: 32)),
        ]
        for (mode, stored) in cases {
            XCTAssertTrue(isMalformed(check(mode, Array(stored.utf8))), "\(mode) \(stored)")
        }
    }

    func testSSHASaltsLongerThanTenBytesVerify() {
        // pam_mysql overflowed its buffer on these; LDAP tools make them.
        let salt = SecretBytes(Array(repeating: UInt8(ascii: "s"), count: 40))
        let digest = DigestAlgorithm.sha1.digest(SecretBytes(Array("secret".utf8)), salt)!
        let stored = Base64.encode(digest.appending(salt)).withUnsafeBytes { Array($0) }
        XCTAssertEqual(check(.ssha, stored), .match)
    }

    func testOversizedStoredValuesAreRefusedBeforeVerifying() {
        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        for mode in CryptMode.allCases {
            XCTAssertTrue(isMalformed(check(mode, huge)), "\(mode)")
        }
    }

    func testBinaryJunkNeverMatches() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let length = Int.random(in: 0..<120, using: &generator)
            let junk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for mode in CryptMode.allCases where mode != .plain {
                XCTAssertNotEqual(check(mode, junk), .match, "\(mode)")
            }
        }
    }
}

final class DecoyStoredValueTests: XCTestCase {
    /// The decoy verified for unknown users must be well-formed (so it costs a real
    /// verification) and must not match anything a user would type.
    func testDecoysAreWellFormedAndMatchNothing() {
        for mode in CryptMode.allCases {
            let result = PasswordSchemes.verify(
                mode: mode, password: SecretBytes(Array("secret".utf8)), stored: PasswordSchemes.decoyStoredValue(for: mode),
                context: VerificationContext())
            XCTAssertEqual(result, .mismatch, "\(mode)")
        }
    }
}
