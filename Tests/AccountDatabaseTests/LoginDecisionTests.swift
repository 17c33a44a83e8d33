import AccountDatabase
import PAMMySQLCore
import XCTest

/// The login decision over a fake server: pam_mysql's row rules, NULL and empty values, the
/// length limit and the malformed-value rule of each mode, with the log lines they give.
final class LoginDecisionTests: XCTestCase {
    let servers = FakeServers()
    let logged = LogLines()

    func decide(
        _ password: String?, rows: UInt64 = 1, status: String? = "0", stored: String?, crypt: CryptMode = .plain,
        disallowEmpty: Bool = false, _ extra: (inout ModuleOptions) -> Void = { _ in }
    ) -> LoginDecision {
        servers.answer = { _ in FakeServers.rows(rows, [status, stored]) }
        let session = DatabaseSession(
            options: tableOptions(crypt: crypt, extra), log: logged.log, pool: ConnectionPool(), failover: FailoverTable(),
            open: servers.opener)
        return session.decideLogin(
            LoginRequest(
                user: Array("alice".utf8), password: password.map { SecretBytes(Array($0.utf8)) }, disallowsEmptyPassword: disallowEmpty))
    }

    func testRowRules() {
        XCTAssertEqual(decide("pw", stored: "pw"), .accepted(.passwordVerified))
        XCTAssertEqual(decide("wrong", stored: "pw"), .refused(.wrongPassword))
        XCTAssertEqual(decide("pw", rows: 0, stored: nil), .refused(.unknownUser))
        XCTAssertEqual(logged.messages.last, "SELECT returned no result.")
        XCTAssertEqual(decide("pw", rows: 3, stored: "pw"), .configurationError(.multipleRows(3)))
        XCTAssertEqual(logged.messages.last, "SELECT returned an indetermined result. (3 rows: the user column must be unique)")
    }

    func testNullAndEmptyStoredPasswordsNeedNullokAndNoDisallowFlag() {
        let vectors: [(stored: String?, nullok: Bool, disallow: Bool, expected: LoginDecision)] = [
            (nil, false, false, .refused(.emptyStoredPassword)),
            (nil, true, false, .accepted(.emptyPasswordAllowed)),
            (nil, true, true, .refused(.emptyStoredPassword)),
            ("", false, false, .refused(.emptyStoredPassword)),
            ("", true, true, .refused(.emptyStoredPassword)),
        ]
        for vector in vectors {
            let decision = decide("anything", stored: vector.stored, disallowEmpty: vector.disallow) { $0.nullOK = vector.nullok }
            XCTAssertEqual(decision, vector.expected, "\(vector)")
        }
        XCTAssertTrue(
            logged.messages.contains(
                "user \"alice\" has an empty stored password: refused (the application passed PAM_DISALLOW_NULL_AUTHTOK)"))
    }

    func testDovecotEmptyPlainFollowsTheSameRule() {
        XCTAssertEqual(decide("", stored: "{PLAIN}", crypt: .dovecot), .refused(.emptyStoredPassword))
        XCTAssertEqual(decide("", stored: "{PLAIN}", crypt: .dovecot) { $0.nullOK = true }, .accepted(.emptyPasswordAllowed))
    }

    func testPasswordOverTheLimitIsRefusedBeforeHashing() {
        let long = String(repeating: "x", count: maximumPasswordLength + 1)
        XCTAssertEqual(decide(long, stored: long), .refused(.passwordTooLong))
        XCTAssertEqual(logged.messages.last, "password for user \"alice\" refused: longer than 512 bytes")
    }

    func testNoPasswordIsARefusal() {
        XCTAssertEqual(decide(nil, stored: "pw"), .refused(.noPassword))
    }

    func testMalformedValueIsARefusalInPamMySQLModesAndAConfigurationErrorInDovecotMode() {
        XCTAssertEqual(
            decide("pw", stored: "not-hex", crypt: .md5),
            .refused(.malformedStoredValue(reason: "stored value is 7 characters, md5 hex has 32")))
        guard case .configurationError(.malformedStoredValue) = decide("pw", stored: "{NO-SUCH}x", crypt: .dovecot) else {
            return XCTFail("crypt=dovecot: a malformed value needs an administrator")
        }
    }

    func testDatabaseFailuresAreTemporaryOrConfiguration() {
        let unreachable = DatabaseError(kind: .unavailable, code: 2013, message: "Lost connection")
        let badTable = DatabaseError(kind: .statement, code: 1146, message: "Table 'mail.users' doesn't exist")
        servers.answer = { _ in .failure(unreachable) }
        let session = DatabaseSession(
            options: tableOptions(), log: logged.log, pool: ConnectionPool(), failover: FailoverTable(), open: servers.opener)
        XCTAssertEqual(
            session.decideLogin(LoginRequest(user: Array("alice".utf8), password: SecretBytes([1]))), .temporaryFailure(unreachable))
        XCTAssertEqual(logged.messages.last, "MySQL error (Lost connection)")
        servers.answer = { _ in .failure(badTable) }
        // The status column cannot be read with the password: the password statement decides.
        XCTAssertEqual(
            session.decideLogin(LoginRequest(user: Array("alice".utf8), password: SecretBytes([1]))),
            .configurationError(.database(badTable)))
    }
}
