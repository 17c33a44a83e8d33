import AuthDaemonCore
import XCTest

/// Which control fields the daemon applies: the three keywords, and only the brackets that are
/// exactly their libpam expansion.
final class PAMControlTests: XCTestCase {
    func testKeywordsIgnoreCaseAsLibpamDoes() {
        let vectors: [(String, PAMControl)] = [
            ("required", .required), ("Required", .required), ("REQUISITE", .requisite), ("sufficient", .sufficient),
        ]
        for (field, control) in vectors {
            XCTAssertEqual(try PAMControl.parse(field).get(), control, field)
        }
    }

    func testBracketsEquivalentToAKeywordAreAccepted() {
        let vectors: [(String, PAMControl)] = [
            ("success=ok new_authtok_reqd=ok ignore=ignore default=bad", .required),
            ("default=bad ignore=ignore new_authtok_reqd=ok success=ok", .required),
            ("success=ok new_authtok_reqd=ok ignore=ignore", .required),  // libpam's default is bad
            ("success=ok new_authtok_reqd=ok ignore=ignore default=die", .requisite),
            ("success=done new_authtok_reqd=done default=ignore", .sufficient),
            ("success=done new_authtok_reqd=done ignore=ignore default=ignore", .sufficient),
        ]
        for (field, control) in vectors {
            XCTAssertEqual(try PAMControl.parse(field).get(), control, field)
        }
    }

    func testEverythingElseIsRefused() {
        let keywords = ["optional", "include", "substack", "requird", "[required]", "success"]
        for word in keywords {
            XCTAssertEqual(PAMControl.parse(word), .failure(.unsupportedKeyword(word)), word)
        }
        let brackets = [
            "success=1 default=ignore",  // a jump
            "success=ok default=bad",  // new_authtok_reqd and ignore differ from required
            "success=done default=die",
            "success=ok new_authtok_reqd=ok ignore=ignore default=reset",
            "success=ok new_authtok_reqd=ok ignore=ignore default=bad bogus=ok",  // libpam rejects it
            "success=maybe",
            "",
        ]
        for text in brackets {
            XCTAssertEqual(PAMControl.parse(text), .failure(.unsupportedBracket(text)), text)
        }
    }

    /// `[required]` is a bracket without `=` to libpam (every result bad), not `required`.
    func testABracketedKeywordIsRefused() {
        XCTAssertEqual(PAMControl.parse("required", isBracket: true), .failure(.unsupportedBracket("required")))
        XCTAssertEqual(PAMControl.parse("required", isBracket: false), .success(.required))
        XCTAssertEqual(
            PAMControl.parse("success=ok new_authtok_reqd=ok ignore=ignore default=die", isBracket: true), .success(.requisite))
    }

    func testRefusalMessagesNameTheField() {
        XCTAssertEqual(
            PAMControl.Refusal.unsupportedKeyword("optional").message,
            "control \"optional\" is not one pam-mysql-authd applies exactly (use required, requisite or sufficient)")
        XCTAssertTrue(
            PAMControl.Refusal.unsupportedBracket("success=1 default=ignore").message.hasPrefix("control [success=1 default=ignore]"))
    }
}
