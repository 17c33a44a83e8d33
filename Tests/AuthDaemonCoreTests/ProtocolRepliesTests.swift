import AuthDaemonCore
import XCTest

/// Each verdict's answer on both protocols, as a table: a refusal is NO / FAIL (Postfix's 535),
/// a temporary failure is never one (the empty saslauthd reply, a closed Dovecot connection:
/// Postfix's 454), and FAIL never says whether the user or the password was wrong.
final class ProtocolRepliesTests: XCTestCase {
    let user = Array("alice@example.com".utf8)

    func testSaslauthdReplies() {
        let table: [(LoginVerdict, [UInt8])] = [
            (.accepted(canonicalUser: user), [0, 2] + Array("OK".utf8)),
            (.refused(.passwordMismatch), [0, 17] + Array("NO PAM auth error".utf8)),
            (.refused(.unknownUser), [0, 17] + Array("NO PAM auth error".utf8)),
            (.refused(.accountExpired), [0, 17] + Array("NO PAM acct error".utf8)),
            (.refused(.passwordChangeRequired), [0, 17] + Array("NO PAM acct error".utf8)),
            (.temporaryFailure(.databaseUnavailable), [0, 0]),
            (.temporaryFailure(.queueTimeout), [0, 0]),
        ]
        for (verdict, wire) in table {
            XCTAssertEqual(ProtocolReplies.saslauthd(verdict).encoded, wire, "\(verdict)")
        }
    }

    func testDovecotVerdicts() {
        XCTAssertEqual(
            ProtocolReplies.dovecot(.accepted(canonicalUser: Array("Alice@Example.com".utf8)), user: user),
            .accepted(user: Array("Alice@Example.com".utf8)))
        XCTAssertEqual(ProtocolReplies.dovecot(.temporaryFailure(.databaseUnavailable), user: user), .temporaryFailure)
        let wrong = ProtocolReplies.dovecot(.refused(.passwordMismatch), user: user)
        XCTAssertEqual(wrong, ProtocolReplies.dovecot(.refused(.unknownUser), user: user), "the reason must not tell them apart")
        XCTAssertEqual(wrong, .refused(user: user, reason: "Authentication failed"))
    }
}
