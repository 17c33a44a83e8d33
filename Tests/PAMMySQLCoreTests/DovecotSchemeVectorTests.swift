import PAMMySQLCore
import XCTest

/// Published vectors for crypt=dovecot, from Tests/vectors/password_schemes.json: Dovecot's own
/// (`src/lib-auth/test-password-scheme.c`, password `test`, user `testuser1`), Debian 12's
/// `doveadm pw` and postfixadmin's (`tests/PacryptTest.php`, password `test123`, "generated via
/// dovecot"). Each must accept its password and reject others. Below: the rules between them.
final class DovecotSchemeVectorTests: XCTestCase {
    struct Vector {
        let stored: String
        let password: String
        var user = ""
        var defaultScheme = "CRYPT"
        let line: UInt
        init(_ stored: String, _ password: String, user: String = "", defaultScheme: String = "CRYPT", line: UInt = #line) {
            self.stored = stored
            self.password = password
            self.user = user
            self.defaultScheme = defaultScheme
            self.line = line
        }
    }

    func verify(_ vector: Vector, _ password: String, allowWeak: Bool = true) -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(vector.stored.utf8)),
            context: VerificationContext(
                userName: Array(vector.user.utf8), defaultPassScheme: vector.defaultScheme, allowWeakSchemes: allowWeak))
    }

    func testEveryPublishedVectorAcceptsItsPasswordAndRejectsOthers() throws {
        let entries = try SchemeVectors.load().dovecot
        XCTAssertGreaterThanOrEqual(entries.count, 52)
        for entry in entries {
            let vector = Vector(
                entry.stored, entry.password, user: entry.user ?? "", defaultScheme: entry.defaultPassScheme ?? "CRYPT")
            let label = "\(entry.source): \(entry.stored)"
            XCTAssertEqual(verify(vector, vector.password), .match, label)
            XCTAssertEqual(verify(vector, vector.password + "x"), .mismatch, label)
            XCTAssertEqual(verify(vector, "zzzzzzz"), .mismatch, label)
            XCTAssertEqual(verify(vector, ""), .mismatch, label)
        }
    }

    func testDovecotFailureCases() {
        XCTAssertEqual(verify(Vector("{PLAIN}invalid", ""), "test"), .mismatch)
        guard case .malformed(let reason) = verify(Vector("{INVALID}whatever", ""), "test") else { return XCTFail() }
        XCTAssertTrue(reason.contains("unknown password scheme {INVALID}"), reason)
        XCTAssertEqual(verify(Vector("{CRYPT}", ""), "test"), .mismatch)
        XCTAssertEqual(verify(Vector("{CRYPT}", ""), ""), .mismatch)
    }

    func testSchemeNamesAndSuffixesAreCaseInsensitive() {
        XCTAssertEqual(verify(Vector("{sha1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{Sha1.B64}qUqP5cyxm6YcTAhz05Hph5gvu9M=", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{ssha.BASE64}H/zrDv8FXUu1JmwvVYijfrYEF34jVZcO", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{plain.hex}74657374", ""), "test"), .match)
    }

    func testFixedLengthDigestsAreReadAsHexOrBase64ByLength() {
        // SHA1 is base64 by default; 40 characters mean hex (either case).
        XCTAssertEqual(verify(Vector("{SHA1}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{SHA1}A94A8FE5CCB19BA61C4C0873D391E987982FBBD3", ""), "test"), .match)
        // PLAIN-MD5 is hex by default; a base64 form of the same digest works too.
        XCTAssertEqual(verify(Vector("{PLAIN-MD5}CY9rzUYh03PK3k6DJie09g==", ""), "test"), .match)
        // LDAP-MD5 is base64 by default; 32 characters mean hex.
        XCTAssertEqual(verify(Vector("{LDAP-MD5}098f6bcd4621d373cade4e832627b4f6", ""), "test"), .match)
        // Base64 without padding, or wrapped, as Dovecot's decoder allows.
        XCTAssertEqual(verify(Vector("{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg", ""), "test"), .match)
    }

    func testUnprefixedMD5CryptIgnoresTrailingFields() {
        // Dovecot: "$1$<salt>$<password>[$<ignored>]".
        XCTAssertEqual(verify(Vector("$1$c9809462$fC8eUPU2lq7arWRvxChMu1$ignored", ""), "test123"), .match)
        // With a prefix nothing is cut: the value is not what MD5-crypt prints.
        XCTAssertEqual(verify(Vector("{MD5-CRYPT}$1$c9809462$fC8eUPU2lq7arWRvxChMu1$x", ""), "test123"), .mismatch)
    }

    func testUnprefixedCryptValuesAreCryptWhateverTheDefault() {
        for stored in [
            "$5$UaZs6ZuaLkVPx3bM$4JwAqdphXVutFYw7COgAkp/vj09S1DfjIftxtjqDrr/",
            "$2y$10$4gbwQMAoJPcg.mWnENYNg.syH9mZNsbQu6KN7skK92g3tlPnvvBDW",
        ] {
            XCTAssertEqual(verify(Vector(stored, "", defaultScheme: "PLAIN"), "test123"), .match, stored)
        }
        let yescrypt = String(
            decoding: try! NewPasswordHash.make(
                mode: .crypt, password: SecretBytes(Array("pw".utf8)), cryptMethod: .yescrypt, md5: true, useMySQL323: false
            ).get().withUnsafeBytes { Array($0) }, as: UTF8.self)
        XCTAssertEqual(verify(Vector(yescrypt, "", defaultScheme: "SHA1"), "pw"), .match)
    }

    func testPlainTruncAcceptsATruncatedPrefix() {
        XCTAssertEqual(verify(Vector("{PLAIN-TRUNC}4-test", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{PLAIN-TRUNC}4-test", ""), "testing"), .match)
        XCTAssertEqual(verify(Vector("{PLAIN-TRUNC}8-test", ""), "testing"), .mismatch)
        XCTAssertEqual(verify(Vector("{PLAIN-TRUNC}8-test", ""), "test"), .match)
        XCTAssertEqual(verify(Vector("{PLAIN-TRUNC}4-test", ""), "tes"), .mismatch)
    }

    func testDigestMD5UsesTheExactUserAndTheLastAtForTheRealm() {
        // doveadm pw -s DIGEST-MD5 -u test@mail.com -p test123: MD5("test:mail.com:test123").
        let vector = Vector("{DIGEST-MD5}555924252ab0a0b2c64ffaa1096037a7", "", user: "test@mail.com")
        XCTAssertEqual(verify(vector, "test123"), .match)
        var other = vector
        other.user = "TEST@mail.com"  // the user name is part of the hash, byte for byte
        XCTAssertEqual(verify(other, "test123"), .mismatch)
        // "a@b@realm": user "a@b", realm "realm" (MD5("a@b:realm:pw")).
        XCTAssertEqual(verify(Vector("{DIGEST-MD5}1c5593075c00ef326a03463d408b1262", "", user: "a@b@realm"), "pw"), .match)
        XCTAssertEqual(verify(Vector("{DIGEST-MD5}2e759c794240004ae9763f23d8ef1274", "", user: "test"), "test123"), .match)
    }

    func testOTPMatchesRFC2289Vectors() {
        // RFC 2289 appendix C: "This is a test." with seed "TeSt" (compared lowercased).
        let cases: [(String, Int, String)] = [
            ("md4", 0, "d1854218ebbb0b51"), ("md4", 1, "63473ef01cd0b444"), ("md4", 99, "c5e612776e6c237a"),
            ("md5", 0, "9e876134d90499dd"), ("md5", 1, "7965e05436f5029f"), ("md5", 99, "50fe1962c4965880"),
            ("sha1", 0, "bb9e6ae1979d8ff4"), ("sha1", 1, "63d936639734385b"), ("sha1", 99, "87fec7768b73ccf9"),
        ]
        for (algorithm, sequence, hash) in cases {
            let vector = Vector("{OTP}\(algorithm) \(sequence) TeSt \(hash.uppercased())", "")
            XCTAssertEqual(verify(vector, "This is a test."), .match, "\(algorithm) \(sequence)")
            XCTAssertEqual(verify(vector, "This is a test"), .mismatch, "\(algorithm) \(sequence)")
        }
    }
}
