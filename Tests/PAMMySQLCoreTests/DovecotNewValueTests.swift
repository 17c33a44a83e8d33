import PAMMySQLCore
import XCTest

/// `pam-mysql hash --scheme dovecot:X`: every Dovecot scheme we verify can be written, and what
/// is written verifies under crypt=dovecot (Dovecot's agreement is the integration test's job).
final class DovecotNewValueTests: XCTestCase {
    static let user = Array("alice@example.org".utf8)

    func make(_ scheme: String, _ password: String, user: [UInt8] = DovecotNewValueTests.user) -> Result<String, NewPasswordHashError> {
        DovecotNewValue.make(scheme: scheme, password: SecretBytes(Array(password.utf8)), userName: user)
            .map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
    }

    func verify(
        _ stored: String, _ password: String, user: [UInt8] = DovecotNewValueTests.user, allowWeak: Bool = true
    ) -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(stored.utf8)),
            context: VerificationContext(userName: user, allowWeakSchemes: allowWeak))
    }

    func testEverySchemeWritesAValueThatVerifiesAndRefusesAnotherPassword() throws {
        XCTAssertEqual(DovecotSchemes.names.count, 31)
        for scheme in DovecotSchemes.names {
            let stored = try make(scheme, "n3w Passw0rd é").get()
            XCTAssertTrue(stored.hasPrefix("{\(scheme)}"), stored)
            XCTAssertEqual(verify(stored, "n3w Passw0rd é"), .match, scheme)
            XCTAssertEqual(verify(stored, "N3w Passw0rd é"), .mismatch, scheme)  // DES-CRYPT reads 8 bytes only
            XCTAssertEqual(verify(stored, ""), .mismatch, scheme)
        }
    }

    func testSaltedSchemesWriteADifferentValueEachTime() throws {
        let salted = [
            "CRYPT", "DES-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "MD5-CRYPT", "MD5", "SMD5", "SSHA", "SSHA256",
            "SSHA512", "SCRAM-SHA-1", "SCRAM-SHA-256", "PBKDF2", "ARGON2I", "ARGON2ID", "OTP",
        ]
        for scheme in salted {
            XCTAssertNotEqual(try make(scheme, "same").get(), try make(scheme, "same").get(), scheme)
        }
    }

    func testUnsaltedSchemesMatchDoveadmOutput() throws {
        // `doveadm pw -s SCHEME -p secret -u alice@example.org` on Debian 12 (Dovecot 2.3.19.1).
        let doveadm = [
            "SHA": "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",
            "LDAP-MD5": "{LDAP-MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==",
            "PLAIN-MD4": "{PLAIN-MD4}67d3dafef63ff00603aeef3769cfbf0d",
            "CRAM-MD5": "{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56",
            "DIGEST-MD5": "{DIGEST-MD5}543e1aec5d3614f03141652d6ada51b2",
            "SHA256.HEX": "{SHA256.HEX}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
            "PLAIN.HEX": "{PLAIN.HEX}736563726574",
        ]
        for (scheme, expected) in doveadm {
            XCTAssertEqual(try make(scheme, "secret").get(), expected, scheme)
        }
    }

    func testCostsAndShapesAreWhatDovecotWrites() throws {
        XCTAssertTrue(try make("SHA512-CRYPT", "pw").get().hasPrefix("{SHA512-CRYPT}$6$"))
        XCTAssertTrue(try make("SHA256-CRYPT", "pw").get().hasPrefix("{SHA256-CRYPT}$5$"))
        XCTAssertTrue(try make("BLF-CRYPT", "pw").get().hasPrefix("{BLF-CRYPT}$2y$10$"))
        XCTAssertTrue(try make("CRYPT", "pw").get().hasPrefix("{CRYPT}$y$"))
        XCTAssertTrue(try make("MD5", "pw").get().hasPrefix("{MD5}$1$"))
        XCTAssertEqual(try make("DES-CRYPT", "pw").get().count, "{DES-CRYPT}".count + 13)
        XCTAssertTrue(try make("ARGON2I", "pw").get().hasPrefix("{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$"))
        XCTAssertTrue(try make("ARGON2ID", "pw").get().hasPrefix("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$"))
        let pbkdf2 = try make("PBKDF2", "pw").get().split(separator: "$", omittingEmptySubsequences: false)
        XCTAssertEqual(pbkdf2.count, 5)
        XCTAssertEqual(pbkdf2[2].count, 16)
        XCTAssertEqual(pbkdf2[3], "5000")
        XCTAssertEqual(pbkdf2[4].count, 40)
        let scram = try make("SCRAM-SHA-256", "pw").get().dropFirst("{SCRAM-SHA-256}".count).split(separator: ",")
        XCTAssertEqual(scram.count, 4)
        XCTAssertEqual(scram[0], "4096")
        XCTAssertEqual(scram[1].count, 24)  // 16 bytes
        let otp = try make("OTP", "pw").get().dropFirst("{OTP}".count).split(separator: " ")
        XCTAssertEqual(otp.count, 4)
        XCTAssertEqual(otp[0], "sha1")
        XCTAssertEqual(otp[1], "1024")
        XCTAssertEqual(otp[2].count, 16)
        // SSHA512: 64-byte digest + 8-byte salt, base64.
        XCTAssertEqual(try make("SSHA512", "pw").get().count, "{SSHA512}".count + 96)
    }

    func testPlainTruncCarriesItsLengthUnlikeDoveadm() throws {
        let stored = try make("PLAIN-TRUNC", "secret").get()
        XCTAssertEqual(stored, "{PLAIN-TRUNC}6-secret")
        XCTAssertEqual(verify(stored, "secret"), .match)
    }

    func testSuffixesChooseTheEncodingAndAreWrittenInTheName() throws {
        for (scheme, prefix) in [("ssha.hex", "{SSHA.HEX}"), ("SHA512-CRYPT.b64", "{SHA512-CRYPT.B64}"), ("sha256.base64", "{SHA256.B64}")]
        {
            let stored = try make(scheme, "pw").get()
            XCTAssertTrue(stored.hasPrefix(prefix), stored)
            XCTAssertEqual(verify(stored, "pw"), .match, scheme)
        }
        XCTAssertThrowsError(try make("SSHA.ROT13", "pw").get())
    }

    func testDigestMD5NeedsTheUserAndVerifiesOnlyForThatUser() throws {
        XCTAssertEqual(try? make("DIGEST-MD5", "pw", user: []).get(), nil)
        guard case .failure(let error) = make("DIGEST-MD5", "pw", user: []) else { return XCTFail("made a value without a user") }
        XCTAssertTrue(error.reason.contains("user"), error.reason)
        let stored = try make("DIGEST-MD5", "pw").get()
        XCTAssertEqual(verify(stored, "pw"), .match)
        XCTAssertEqual(verify(stored, "pw", user: Array("bob@example.org".utf8)), .mismatch)
    }

    func testRefusesWhatCannotBeStoredFaithfully() {
        for scheme in ["PLAIN", "SSHA", "ARGON2ID", "SHA512-CRYPT"] {
            guard case .failure(let error) = make(scheme, "a\u{0}b") else { return XCTFail("\(scheme) took a NUL") }
            XCTAssertTrue(error.reason.contains("NUL"), error.reason)
        }
        guard case .failure(let unknown) = make("SSHA3", "pw") else { return XCTFail("unknown scheme accepted") }
        XCTAssertTrue(unknown.reason.contains("unknown Dovecot scheme {SSHA3}"), unknown.reason)
        guard case .failure(let long) = make("PLAIN", String(repeating: "x", count: 70_000)) else { return XCTFail("overlong password") }
        XCTAssertTrue(long.reason.contains("longer than"), long.reason)
    }

    func testWeakSchemesAreFlaggedAndRefusedAtLoginByDefault() throws {
        XCTAssertTrue(DovecotSchemes.isWeak("SMD5"))
        XCTAssertTrue(DovecotSchemes.isWeak("plain-md5.b64"))
        XCTAssertFalse(DovecotSchemes.isWeak("SSHA512"))
        let stored = try make("SMD5", "pw").get()
        guard case .malformed(let reason) = verify(stored, "pw", allowWeak: false) else { return XCTFail("weak value accepted") }
        XCTAssertTrue(reason.contains("allow_weak_schemes"), reason)
    }
}
