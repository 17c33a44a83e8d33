import PAMMySQLCore
import XCTest

/// `allow_weak_schemes` (off by default, like Dovecot 2.4's `auth_allow_weak_schemes`).
final class DovecotWeakSchemeTests: XCTestCase {
    func check(_ stored: String, allowWeak: Bool, defaultScheme: String = "CRYPT") -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array("test".utf8)), stored: SecretBytes(Array(stored.utf8)),
            context: VerificationContext(defaultPassScheme: defaultScheme, allowWeakSchemes: allowWeak))
    }

    static let weakValues: [String] = [
        "{MD5}$1$wmyrgRuV$kImF6.9MAFQNHe23kq5vI/",
        "{MD5-CRYPT}$1$GgvxyNz8$OjZhLh4P.gF1lxYEbLZ3e/",
        "$1$GgvxyNz8$OjZhLh4P.gF1lxYEbLZ3e/",
        "{SMD5}JTu1KRwptKZJg/RLd+6Vn5GUd0M=",
        "{HMAC-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6",
        "{PLAIN-MD4}db346d691d7acc4dc2625db19f9e3f52",
        "{PLAIN-MD5}098f6bcd4621d373cade4e832627b4f6",
        "{LDAP-MD5}CY9rzUYh03PK3k6DJie09g==",
        "{DES-CRYPT}//EsnG9FLTKjo",
        // CRYPT (and the SHA-crypt names, which share Dovecot's crypt_verify) with DES or $1$.
        "{CRYPT}//EsnG9FLTKjo",
        "{CRYPT}$1$GgvxyNz8$OjZhLh4P.gF1lxYEbLZ3e/",
        "{SHA512-CRYPT}//EsnG9FLTKjo",
        "//EsnG9FLTKjo",
    ]

    func testWeakSchemesAreRefusedUnlessAllowed() {
        for stored in Self.weakValues {
            guard case .malformed(let reason) = check(stored, allowWeak: false) else {
                XCTFail("\(stored) was not refused")
                continue
            }
            XCTAssertTrue(reason.hasPrefix("weak password scheme "), reason)
            XCTAssertTrue(reason.contains("allow_weak_schemes"), reason)
            XCTAssertEqual(check(stored, allowWeak: true), .match, stored)
        }
    }

    func testTheRefusalNamesTheScheme() {
        XCTAssertEqual(
            check("{CRYPT}//EsnG9FLTKjo", allowWeak: false),
            .malformed(
                "weak password scheme DES-CRYPT refused (set allow_weak_schemes to accept it, as Dovecot's auth_allow_weak_schemes does)"))
        guard case .malformed(let reason) = check("$1$GgvxyNz8$OjZhLh4P.gF1lxYEbLZ3e/", allowWeak: false) else { return XCTFail() }
        XCTAssertTrue(reason.hasPrefix("weak password scheme MD5-CRYPT refused"), reason)
    }

    func testStrongAndPlainSchemesAreNotWeak() {
        // PLAIN is not weak in Dovecot 2.4 either: storing plain text is a visible choice.
        for stored in [
            "{PLAIN}test", "{CRAM-MD5}e02d374fde0dc75a17a557039a3a5338c7743304777dccd376f332bee68d2cf6",
            "{SHA1}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "{SSHA}H/zrDv8FXUu1JmwvVYijfrYEF34jVZcO",
            "{BLF-CRYPT}$2y$05$11ipvo5dR6CwkzwmhwM26OXgzXwhV2PyPuLV.Qi31ILcRcThQpEiW",
        ] {
            XCTAssertEqual(check(stored, allowWeak: false), .match, stored)
        }
        XCTAssertFalse(DovecotSchemes.isWeak("PLAIN"))
        XCTAssertTrue(DovecotSchemes.isWeak("md5-crypt"))
    }

    func testTheDecoyIsNeverRefused() {
        XCTAssertEqual(
            PasswordSchemes.verify(
                mode: .dovecot, password: SecretBytes(Array("x".utf8)), stored: PasswordSchemes.decoyStoredValue(for: .dovecot),
                context: VerificationContext()), .mismatch)
    }
}
