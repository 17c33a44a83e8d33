import AuthDaemonCore
import XCTest

/// The one line per login outcome that fail2ban matches: its exact shape, and that no value a
/// client chose can end a field early or forge another one.
final class AuthEventLineTests: XCTestCase {
    func line(_ user: String, service: String = "smtp", rip: String? = "198.51.100.7") -> AuthEventLine {
        AuthEventLine(user: Array(user.utf8), service: service, protocolName: "dovecot", remoteAddress: rip)
    }

    func testShapes() {
        XCTAssertEqual(
            line("alice@example.com").text(.refused(.passwordMismatch)),
            "auth failure: user=\"alice@example.com\" service=smtp protocol=dovecot rip=198.51.100.7 reason=\"password mismatch\"")
        XCTAssertEqual(
            line("alice@example.com", rip: nil).text(.accepted(canonicalUser: Array("alice@example.com".utf8))),
            "auth success: user=\"alice@example.com\" service=smtp protocol=dovecot rip=-")
        XCTAssertEqual(
            line("alice@example.com").text(.temporaryFailure(.databaseUnavailable)),
            "auth unavailable: user=\"alice@example.com\" service=smtp protocol=dovecot rip=198.51.100.7 reason=\"database unavailable\"")
    }

    func testHostileUserCannotForgeFields() {
        let text = line("x\" rip=203.0.113.9 reason=\"y\n").text(.refused(.passwordMismatch))
        XCTAssertEqual(
            text,
            "auth failure: user=\"x\\x22 rip=203.0.113.9 reason=\\x22y\\x0a\" service=smtp protocol=dovecot rip=198.51.100.7 reason=\"password mismatch\""
        )
        XCTAssertEqual(text.components(separatedBy: "\"").count, 5, "exactly two quoted fields")
    }

    func testAddressesAndServices() {
        XCTAssertTrue(line("a", rip: "198.51.100.7;54321").text(.refused(.unknownUser)).contains(" rip=198.51.100.7 "))
        XCTAssertTrue(line("a", rip: "2001:db8::1").text(.refused(.unknownUser)).contains(" rip=2001:db8::1 "))
        XCTAssertTrue(line("a", rip: "1.2.3.4 x").text(.refused(.unknownUser)).contains(" rip=- "))
        XCTAssertTrue(line("a", rip: "").text(.refused(.unknownUser)).contains(" rip=- "))
        XCTAssertTrue(line("a", service: "bad svc\"").text(.refused(.unknownUser)).contains(" service=bad\\x20svc\\x22 "))
        XCTAssertTrue(line("a", service: "").text(.refused(.unknownUser)).contains(" service=- "))
    }

    func testLongUserIsCut() {
        let text = line(String(repeating: "a", count: 300)).text(.refused(.unknownUser))
        XCTAssertTrue(text.contains("...(300 bytes)\""))
    }
}

/// saslauthd's `-r`: `login@realm` when the realm is not empty, the login alone otherwise.
final class SaslauthdUserNameTests: XCTestCase {
    func testJoin() {
        let vectors: [(String, String, Bool, String)] = [
            ("alice", "example.com", true, "alice@example.com"),
            ("alice", "", true, "alice"),
            ("alice@example.com", "", true, "alice@example.com"),
            ("alice", "example.com", false, "alice"),
        ]
        for (login, realm, joins, expected) in vectors {
            XCTAssertEqual(
                SaslauthdUserName.join(login: Array(login.utf8), realm: Array(realm.utf8), joinsRealm: joins), Array(expected.utf8),
                "\(login) \(realm) \(joins)")
        }
    }
}
