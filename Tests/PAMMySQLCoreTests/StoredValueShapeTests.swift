import PAMMySQLCore
import XCTest

/// The format guess for a stored value that does not verify: each shape named with the setting
/// that verifies it, and every value the module itself makes guessed as the mode that made it.
final class StoredValueShapeTests: XCTestCase {
    func shape(_ text: String) -> StoredValueShape? { StoredValueShape.guess(SecretBytes(Array(text.utf8))) }

    /// (stored value, the mode the guess must name, or nil for no mode, and a word of the format)
    static let vectors: [(String, CryptMode?, String)] = [
        ("$6$saltsalt$tu8Wv5x4x2vZqSLrBFC8tk11qPNdpEJHSVjkqZkkdG4lHqGc55wXf2fHn3sDpVYg4XKdNzDCTo6/JxRoknhqD1", .crypt, "SHA-512-crypt"),
        ("$5$saltsalt$abc", .crypt, "SHA-256-crypt"),
        ("$1$saltsalt$abc", .crypt, "MD5-crypt"),
        ("$2y$10$abcdefghijklmnopqrstuv", .crypt, "bcrypt"),
        ("$2b$10$abcdefghijklmnopqrstuv", .crypt, "bcrypt"),
        ("$y$j9T$salt$hash", .crypt, "yescrypt"),
        ("$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA", .dovecot, "Argon2"),
        ("$argon2i$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA", .dovecot, "Argon2"),
        ("{SHA512-CRYPT}$6$salt$hash", .dovecot, "{SHA512-CRYPT}"),
        ("{ssha256}AAAA", .dovecot, "{SSHA256}"),
        ("{NOSUCH}abc", nil, "no scheme Dovecot knows"),
        ("*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29", .mysql, "PASSWORD()"),
        ("565491d704013245", .mysql, "OLD_PASSWORD()"),
        ("5ebe2294ecd0e0f08eab7690d2a6ee69", .md5, "MD5"),
        ("6f3ca84e08269eefb6105e695411eafc:saltsaltsalt", .joomla15, "Joomla"),
        ("8843d7f92416211de9ebb963ff4ce28125932878", .sha1, "SHA-1"),
        (String(repeating: "ab", count: 32), .sha256, "SHA-256"),
        (String(repeating: "ab", count: 64), .sha512, "SHA-512"),
        ("$S$DsaltsaltXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", .drupal7, "Drupal"),
        ("$P$Babcdefghijklmnopqrstuvwxyz", nil, "phpass"),
        ("saHW9GdxihkGQ", .crypt, "DES-crypt"),
        ("KnpQ4g1j1OR0Fb9Lksze2BcmJdZhYmNkMTIzNA==", .ssha, "SSHA"),
    ]

    func testEachShapeIsNamedWithItsSetting() {
        for (value, mode, word) in Self.vectors {
            guard let guess = shape(value) else {
                XCTFail("no guess for \(value)")
                continue
            }
            XCTAssertEqual(guess.mode, mode, value)
            XCTAssertTrue(guess.format.contains(word), "\(guess.format) for \(value)")
            XCTAssertEqual(guess.setting == nil, mode == nil, value)
        }
    }

    func testPlainTextHasNoGuess() {
        for value in ["", "secret", "correct horse battery staple", "S3cret-Pa55-word", String(repeating: "x", count: 600)] {
            XCTAssertNil(shape(value), value)
        }
    }

    func testShapesAPlainPasswordMayHaveAreNotDistinctive() {
        XCTAssertEqual(shape("Password12345")?.isDistinctive, false)  // DES-crypt's shape
        XCTAssertEqual(shape("KnpQ4g1j1OR0Fb9Lksze2BcmJdZhYmNkMTIzNA==")?.isDistinctive, false)
        XCTAssertEqual(shape(Self.vectors[0].0)?.isDistinctive, true)
    }

    func testTheHintNamesTheSettingOnlyWhenTheModeDiffers() {
        let sha512crypt = shape(Self.vectors[0].0)
        XCTAssertEqual(sha512crypt?.hint(configured: .md5), "looks like SHA-512-crypt ($6$): use crypt=1")
        XCTAssertNil(sha512crypt?.hint(configured: .crypt))
        XCTAssertEqual(shape("$P$Babc")?.hint(configured: .crypt), "looks like phpass (WordPress, $P$), which no crypt= mode verifies")
    }

    func testTheGuessNeverQuotesTheValue() {
        for (value, _, _) in Self.vectors {
            guard let guess = shape(value) else { continue }
            let tail = String(value.suffix(8))
            XCTAssertFalse(guess.format.contains(tail) || (guess.setting ?? "").contains(tail), value)
        }
    }

    /// Every value the module makes is guessed as the mode that made it (and verifies it).
    func testEveryValueTheModuleMakesIsGuessedAsItsMode() throws {
        let password = SecretBytes(Array("guess-me".utf8))
        var cases: [(CryptMode, CryptMethod?, Bool)] = CryptMode.allCases.filter { $0 != .plain && $0 != .dovecot }.map {
            ($0, nil, false)
        }
        cases += [(.crypt, .sha512, false), (.crypt, .bcrypt, false), (.crypt, .md5, false), (.crypt, .des, false), (.mysql, nil, true)]
        for (mode, method, legacy) in cases {
            let made = try NewPasswordHash.make(mode: mode, password: password, cryptMethod: method, md5: true, useMySQL323: legacy).get()
            XCTAssertEqual(StoredValueShape.guess(made)?.mode, mode, "\(mode) \(String(describing: method))")
            XCTAssertEqual(
                PasswordSchemes.verify(mode: mode, password: password, stored: made, context: VerificationContext(useMySQL323: legacy)),
                .match)
        }
    }
}
