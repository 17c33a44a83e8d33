import PAMMySQLCore
import XCTest

/// Published vectors for crypt=dovecot: Dovecot's own (`src/lib-auth/test-password-scheme.c`,
/// password `test`, user `testuser1`) and postfixadmin's (`tests/PacryptTest.php`, password
/// `test123`, "generated via dovecot"). Each must accept its password and reject others.
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

    static let dovecotVectors: [Vector] = [
        Vector("{PLAIN}test", "test"),
        Vector("{CRYPT}//EsnG9FLTKjo", "test"),
        Vector("{PLAIN-MD4}db346d691d7acc4dc2625db19f9e3f52", "test"),
        Vector("{MD5}$1$wmyrgRuV$kImF6.9MAFQNHe23kq5vI/", "test"),
        Vector("{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "test"),
        Vector("{SMD5}JTu1KRwptKZJg/RLd+6Vn5GUd0M=", "test"),
        Vector("{LDAP-MD5}CY9rzUYh03PK3k6DJie09g==", "test"),
        Vector("{SHA256}n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", "test"),
        Vector("{SHA512}7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==", "test"),
        Vector("{SSHA}H/zrDv8FXUu1JmwvVYijfrYEF34jVZcO", "test"),
        Vector("{MD5-CRYPT}$1$GgvxyNz8$OjZhLh4P.gF1lxYEbLZ3e/", "test"),
        Vector("{PBKDF2}$1$bUnT4Pl7yFtYX0KU$5000$50a83cafdc517b9f46519415e53c6a858908680a", "test"),
        Vector("{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6", "test"),
        Vector("{DIGEST-MD5}77c1a8c437c9b08ba2f460fe5d58db5d", "test", user: "testuser1"),
        Vector("{SCRAM-SHA-1}4096,GetyLXdBuHzf1FWf8SLz2Q==,NA/OqmF4hhrsrB9KR7po+dliTGM=,QBiURvQaE6H6qYTmeghDHLANBFQ=", "test"),
        Vector("{BLF-CRYPT}$2y$05$11ipvo5dR6CwkzwmhwM26OXgzXwhV2PyPuLV.Qi31ILcRcThQpEiW", "test"),
        Vector("{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$f2iuP4aUeNMrgu34fhOkkg$1XSZZMWlIs0zmE+snlUIcLADO3GXbA2O/hsQmmc317k", "test"),
        Vector("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$vBb99oJ12p3WAdYlaMHz1A$jtFOtbo/sYV9OSlTxDo/nVNq3uArHd5GJSEx0ty85Cc", "test"),
        // From Debian 12's `doveadm pw` (2.3.19.1), which the registry was checked against.
        Vector("{OTP}sha1 1024 f42998009b70963b ab00fe6c1e2d47d8", "test"),
        Vector("{SCRAM-SHA-256}4096,SAmKSFqy6B9CkaIRpfjzcQ==,TzIeTXvnR0sw/1F+vv6AynD4Msl1CPJi0ytSf80hLLg=,zflTRCSuMy1CkyhqSW9SOA7oZAy8Ot+eZWC3UXbO53k=", "test"),
    ]

    static let postfixadminVectors: [Vector] = [
        Vector("{SHA1}cojt0Pw//L6ToM8G41aOKFIWh7w=", "test123"),
        Vector("{SHA1.B64}cojt0Pw//L6ToM8G41aOKFIWh7w=", "test123"),
        Vector("{BLF-CRYPT}$2y$05$cEEZv2h/NtLXII.emi2TP.rMZyB7VRSkyToXWBqqz6cXDoyay166q", "test123"),
        Vector("{BLF-CRYPT.B64}JDJ5JDA1JEhlR0lBeGFHR2tNUGxjRWpyeFc0eU9oRjZZZ1NuTWVOTXFxNWp4bmFwVjUwdGU3c2x2L1VT", "test123"),
        Vector("{SHA512-CRYPT}$6$MViNQUSbWyXWL9wZ$63VsBU2a/ZFb9f/dK4EmaXABE9jAcNltR7y6a2tXLKoV5F5jMezno.2KpmtD3U0FDjfa7A.pkCluVMlZJ.F64.", "test123"),
        Vector("{SHA512-CRYPT.B64}JDYkR2JwY3NiZXNMWk9DdERXbiRYdXlhdEZTdy9oa3lyUFE0d24wenpGQTZrSlpTUE9QVWdPcjVRUC40bTRMTjEzdy81aWMvWTdDZllRMWVqSWlhNkd3Q2Z0ZnNjZEFpam9OWjl3OU5tLw==", "test123"),
        Vector("{SHA512-CRYPT.B64}JDYkMDBpOFJXQ0JwMlFMMDlobCRFMVFWLzJjbENPbEo4OTg0SjJyY1oxeXNTaFJIYVhJeVdFTDdHRGl3aHliYkhQUHBUQjZTM0lFMlYya2ZXczZWbHY0aDVNa3N0anpud0xuRTBWZVRELw==", "test123"),
        Vector("{SHA512}2u9JU7l4M2XK1mFSI3IFBsxGxRZ80Wq1APpZeqCP+WTrJPsZaH8012Zfd4/LbFNY/ApbgeFmLPkPc6JnHFP5kQ==", "test123"),
        Vector("{CRYPT}$2y$05$ORqzr0AagWr25v3ixHD5QuMXympIoNTbipEFZz6aAmovGNoij2vDO", "test123"),
        Vector("{MD5-CRYPT}$1$AIjpWveQ$2s3eEAbZiqkJhMYUIVR240", "test123"),
        Vector("{PLAIN-MD5}cc03e747a6afbbcbf8be7668acfebee5", "test123"),
        Vector("{SSHA}ZkqrSEAhvd0FTHaK1IxAQCRa5LWbxGQY", "test123"),
        Vector("{PLAIN}test123", "test123"),
        Vector("{CLEAR}test123", "test123"),
        Vector("{CLEARTEXT}test123", "test123"),
        Vector("{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$xoOcAGa27k0Sr6ZPbA9ODw$wl/KAZVmJooD/35IFG5oGwyQiAREXrLss5BPS1PDKfA", "test123"),
        Vector("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$eaXP376O9/VxleLw9OQIxg$jOoDyECeRRV4eta3eSN/j0RdBgqaA1VBGAA/pbviI20", "test123"),
        Vector("{ARGON2ID.B64}JGFyZ29uMmlkJHY9MTkkbT02NTUzNix0PTMscD0xJEljdG9DWko1T04zWlYzM3I0TVMrNEEkMUVtNTJRWkdsRlJzNnBsRXpwVmtMeVd4dVNPRUZ2dUZnaVNhTmNlb08rOA==", "test123"),
        Vector("{SHA256}7NcYcNGWMxapfjrDQIyYNa2M8PPBvHA1J8MCZVNPda4=", "test123"),
        Vector("{SHA256-CRYPT}$5$CFly6wzfn2az3U8j$EhfQPTdjpMGAisfCjCKektLke5GGEmtdLVaCZSmsKw2", "test123"),
        Vector("{SHA256-CRYPT.B64}JDUkUTZZS1ZzZS5sSVJoLndodCR6TWNOUVFVVkhtTmM1ME1SQk9TR3BEeGpRY2M1TzJTQ1lkbWhPN1YxeHlD", "test123"),
        // Password `test`, not `test123`: postfixadmin's testPacryptDovecot uses `test` for this one.
        Vector("{DIGEST-MD5}dad736686b7d1f1db09f3dc9ff538e03", "test", user: "test@mail.com"),
        // Courier forms postfixadmin reads: Dovecot's {MD5} takes a base64 MD5 too.
        Vector("{MD5}zAPnR6avu8v4vnZorP6+5Q==", "test123"),
        Vector("{SSHA}pJTac1QSIHoi0qBPdqnBvgPdjfFtDRVY", "test123"),
        // Unprefixed values postfixadmin writes (md5crypt up to 3.3, php_crypt since 4.0).
        Vector("$1$c9809462$fC8eUPU2lq7arWRvxChMu1", "test123"),
        Vector("{MD5-CRYPT}$1$rGTbP.KE$wimpECWs/wQa7rnSwCmHU.", "test123"),
        Vector("{SHA512-CRYPT}$6$IeqpXtDIXF09ADdc$IsE.SSK3zuwtS9fdWZ0oVxXQjPDj834xqxTiv3Qfidq3AbAjPb0DNyI28JyzmDVlbfC9uSfNxD9RUyeO1.7FV/", "test123"),
        Vector("VXAXutUnpVYg6", "test123"),
        Vector("$5$UaZs6ZuaLkVPx3bM$4JwAqdphXVutFYw7COgAkp/vj09S1DfjIftxtjqDrr/", "test123"),
        Vector("$2y$10$4gbwQMAoJPcg.mWnENYNg.syH9mZNsbQu6KN7skK92g3tlPnvvBDW", "test123"),
        Vector("cc03e747a6afbbcbf8be7668acfebee5", "test123", defaultScheme: "MD5"),
        Vector("test123", "test123", defaultScheme: "PLAIN"),
    ]

    func verify(_ vector: Vector, _ password: String, allowWeak: Bool = true) -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(vector.stored.utf8)),
            context: VerificationContext(
                userName: Array(vector.user.utf8), defaultPassScheme: vector.defaultScheme, allowWeakSchemes: allowWeak))
    }

    func testEveryPublishedVectorAcceptsItsPasswordAndRejectsOthers() {
        for vector in Self.dovecotVectors + Self.postfixadminVectors {
            XCTAssertEqual(verify(vector, vector.password), .match, vector.stored, line: vector.line)
            XCTAssertEqual(verify(vector, vector.password + "x"), .mismatch, vector.stored, line: vector.line)
            XCTAssertEqual(verify(vector, "zzzzzzz"), .mismatch, vector.stored, line: vector.line)
            XCTAssertEqual(verify(vector, ""), .mismatch, vector.stored, line: vector.line)
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
        let yescrypt = String(decoding: try! NewPasswordHash.make(
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
