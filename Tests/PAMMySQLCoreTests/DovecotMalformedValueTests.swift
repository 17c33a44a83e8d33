import PAMMySQLCore
import XCTest

/// Stored values crypt=dovecot cannot verify: each is `.malformed` with a reason (PAM_SERVICE_ERR
/// in the flow), never a trap, a match, or minutes of CPU.
final class DovecotMalformedValueTests: XCTestCase {
    func check(_ stored: String, _ password: String = "test", allowWeak: Bool = true, defaultScheme: String = "CRYPT") -> VerificationResult
    {
        check(Array(stored.utf8), password, allowWeak: allowWeak, defaultScheme: defaultScheme)
    }

    func check(
        _ stored: [UInt8], _ password: String = "test", allowWeak: Bool = true, defaultScheme: String = "CRYPT"
    ) -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(stored),
            context: VerificationContext(userName: Array("user".utf8), defaultPassScheme: defaultScheme, allowWeakSchemes: allowWeak))
    }

    func reason(_ result: VerificationResult) -> String? {
        if case .malformed(let reason) = result { return reason }
        return nil
    }

    func assertMalformed(_ stored: String, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        let result = check(stored)
        XCTAssertTrue(reason(result)?.contains(text) ?? false, "\(stored): \(result)", file: file, line: line)
    }

    func testUnknownSchemesAndSuffixes() {
        assertMalformed("{INVALID}x", containing: "unknown password scheme {INVALID}")
        assertMalformed("{SHA1.B32}x", containing: "unknown password scheme {SHA1.B32}")
        assertMalformed("{}x", containing: "unknown password scheme {}")
        // A "scheme" that is not a plausible name is not echoed (it may be part of a hash).
        assertMalformed("{secret password}x", containing: "name not shown, 15 bytes")
    }

    func testBadEncodingsAndLengthsPerDigestScheme() {
        for scheme in ["SHA", "SHA1", "SHA256", "SHA512", "PLAIN-MD5", "LDAP-MD5", "PLAIN-MD4", "CRAM-MD5", "HMAC-MD5", "DIGEST-MD5"] {
            XCTAssertNotNil(reason(check("{\(scheme)}not*base64*or*hex")), scheme)
            XCTAssertNotNil(reason(check("{\(scheme)}YWJj")), scheme)  // 3 bytes
            XCTAssertNotNil(reason(check("{\(scheme).HEX}abc")), scheme)  // odd length
            XCTAssertNotNil(reason(check("{\(scheme)}")), scheme)
        }
        assertMalformed("{SHA1}YWJj", containing: "decodes to 3 bytes instead of 20")
    }

    func testSaltedDigestsNeedASalt() {
        for scheme in ["SMD5", "SSHA", "SSHA256", "SSHA512"] {
            assertMalformed("{\(scheme)}YWJj", containing: "has no salt")
            assertMalformed("{\(scheme)}%%%%", containing: "not valid base64")
        }
    }

    func testCryptFamilyShapes() {
        assertMalformed("{BLF-CRYPT}$2y$05$short", containing: "not a bcrypt hash")
        assertMalformed("{BLF-CRYPT}$6$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA", containing: "not a bcrypt hash")
        assertMalformed("{MD5-CRYPT}nodollar", containing: "does not start with $1$")
        assertMalformed("{SHA512-CRYPT}$9$unknown$method", containing: "libxcrypt does not accept")
        assertMalformed("{CRYPT}$6$rounds=999999999$saltsalt$abc", containing: "rounds exceed")
        assertMalformed("{BLF-CRYPT}$2y$31$onYkUEKoKBcWnrgFqjq5.eTPF1oRE.WZ9bG6u9MqgUVDeukGzyqIy", containing: "bcrypt cost exceeds")
        XCTAssertEqual(check("{BLF-CRYPT}"), .mismatch)  // Dovecot: an empty value never matches
    }

    func testRecordSchemesRejectBadFields() {
        assertMalformed("{PBKDF2}$2$salt$5000$50a83cafdc517b9f46519415e53c6a858908680a", containing: "does not start with $1$")
        assertMalformed("{PBKDF2}$1$salt$5000", containing: "2 fields instead of 3")
        assertMalformed("{PBKDF2}$1$salt$50x0$50a83cafdc517b9f46519415e53c6a858908680a", containing: "rounds are not")
        assertMalformed("{PBKDF2}$1$salt$0$50a83cafdc517b9f46519415e53c6a858908680a", containing: "rounds are not")
        assertMalformed("{PBKDF2}$1$salt$5000$50a83caf", containing: "not 40 hex digits")
        assertMalformed("{SCRAM-SHA-1}4096,abc", containing: "2 fields instead of 4")
        assertMalformed(
            "{SCRAM-SHA-1}1000,GetyLXdBuHzf1FWf8SLz2Q==,NA/OqmF4hhrsrB9KR7po+dliTGM=,QBiURvQaE6H6qYTmeghDHLANBFQ=",
            containing: "iteration count")
        assertMalformed(
            "{SCRAM-SHA-256}4096,GetyLXdBuHzf1FWf8SLz2Q==,NA/OqmF4hhrsrB9KR7po+dliTGM=,QBiURvQaE6H6qYTmeghDHLANBFQ=",
            containing: "StoredKey")
        assertMalformed("{SCRAM-SHA-1}4096,!!,NA/OqmF4hhrsrB9KR7po+dliTGM=,QBiURvQaE6H6qYTmeghDHLANBFQ=", containing: "salt is not base64")
        assertMalformed("{PLAIN-TRUNC}test", containing: "lacks its <length>- prefix")
        assertMalformed("{OTP}sha2 1024 seed 0123456789abcdef", containing: "algorithm")
        assertMalformed("{OTP}sha1 x seed 0123456789abcdef", containing: "sequence is not a number")
        assertMalformed("{OTP}sha1 1024 seed", containing: "seed")
        assertMalformed("{MD5}not-a-digest", containing: "neither MD5-crypt nor")
    }

    func testArgon2ShapeAndCostCaps() {
        assertMalformed("{ARGON2ID}$argon2d$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaA", containing: "not an $argon2i$ or $argon2id$")
        assertMalformed("{ARGON2ID}$argon2id$v=19$t=3,m=65536,p=1$c2FsdHNhbHQ$aGFzaA", containing: "m=…,t=…,p=…")
        assertMalformed("{ARGON2ID}$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$aGFzaA", containing: "m is not a number up to")
        assertMalformed("{ARGON2I}$argon2i$v=19$m=32768,t=1000,p=1$c2FsdHNhbHQ$aGFzaA", containing: "t is not a number up to")
        assertMalformed("{ARGON2I}$argon2i$v=19$m=32768,t=4,p=99$c2FsdHNhbHQ$aGFzaA", containing: "p is not a number up to")
        // Well-formed within the caps but wrong: libsodium says no, as in Dovecot.
        XCTAssertEqual(check("{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$c2FsdHNhbHQ$aGFzaA"), .mismatch)
    }

    func testOTPAndPBKDF2CostsAreCapped() {
        assertMalformed("{OTP}sha1 999999999 seed 0123456789abcdef", containing: "sequence exceeds")
        assertMalformed("{PBKDF2}$1$salt$99999999$50a83cafdc517b9f46519415e53c6a858908680a", containing: "rounds are not")
        assertMalformed(
            "{SCRAM-SHA-1}4294967295,GetyLXdBuHzf1FWf8SLz2Q==,NA/OqmF4hhrsrB9KR7po+dliTGM=,QBiURvQaE6H6qYTmeghDHLANBFQ=",
            containing: "iteration count")
    }

    func testJunkNeverTrapsNorMatches() {
        var generator = SystemRandomNumberGenerator()
        let prefixes = DovecotSchemes.names.map { "{\($0)}" } + ["", "$1$", "$2y$", "{", "}"]
        for _ in 0..<40 {
            for prefix in prefixes {
                let length = Int.random(in: 0..<90, using: &generator)
                let junk = Array(prefix.utf8) + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                XCTAssertNotEqual(check(junk, "secret"), .match, prefix)
            }
        }
    }

    func testNULBytesNeverTruncate() {
        XCTAssertEqual(check(Array("{PLAIN}te".utf8) + [0] + Array("st".utf8), "te"), .mismatch)
        XCTAssertNotNil(reason(check(Array("{CRYPT}$6$salt".utf8) + [0])))
        XCTAssertNotNil(reason(check(Array("{ARGON2ID}$argon2id".utf8) + [0])))
    }
}
