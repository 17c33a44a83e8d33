import PAMMySQLCore
import XCTest

/// crypt=dovecot values whose secret is empty once decoded: the verifier says so
/// (`.storedSecretIsEmpty`) instead of matching, so the PAM layer applies `nullok`.
final class DovecotEmptySecretTests: XCTestCase {
    func check(_ stored: String, _ password: String) -> VerificationResult {
        PasswordSchemes.verify(
            mode: .dovecot, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(stored.utf8)),
            context: VerificationContext(userName: Array("user".utf8)))
    }

    /// Values whose decoded secret is empty, whatever the typed password.
    static let emptySecrets = [
        "{PLAIN}", "{CLEAR}", "{CLEARTEXT}", "{plain}", "{PLAIN.b64}", "{PLAIN.base64}", "{PLAIN.hex}", "{CLEARTEXT.B64}",
        "{PLAIN-TRUNC}5-", "{PLAIN-TRUNC}12-",
    ]

    func testEmptyDecodedSecretsAreReportedNotMatched() {
        for stored in Self.emptySecrets {
            for typed in ["", "x", "anything"] {
                XCTAssertEqual(check(stored, typed), .storedSecretIsEmpty, "\(stored) typed \(typed.utf8.count) bytes")
            }
        }
    }

    func testNonEmptyPlainValuesStillMatchAndMismatch() {
        XCTAssertEqual(check("{PLAIN}pw", "pw"), .match)
        XCTAssertEqual(check("{PLAIN}pw", ""), .mismatch)
        XCTAssertEqual(check("{PLAIN.b64}cHc=", "pw"), .match)
        XCTAssertEqual(check("{PLAIN.hex}7077", "pw"), .match)
        XCTAssertEqual(check("{PLAIN-TRUNC}2-pw", "pwextra"), .match)
    }

    /// Dovecot compares a 0-byte prefix, so `{PLAIN-TRUNC}0-…` matched every password.
    func testPlainTruncLengthZeroIsMalformed() {
        for stored in ["{PLAIN-TRUNC}0-", "{PLAIN-TRUNC}0-x", "{PLAIN-TRUNC}00-secret"] {
            for typed in ["", "x", "secret", "anything"] {
                XCTAssertEqual(check(stored, typed), .malformed("PLAIN-TRUNC length is 0"), "\(stored)")
            }
        }
    }
}
