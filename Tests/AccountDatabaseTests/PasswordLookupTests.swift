import AccountDatabase
import PAMMySQLCore
import XCTest

/// The two halves the auth daemon runs on different threads (`lookupPassword` on a database
/// thread, `verifyPassword` on a hashing thread) decide exactly as `decideLogin`, with the same
/// log lines, and the lookup alone never verifies a password.
final class PasswordLookupTests: XCTestCase {
    struct Case {
        let password: String?
        let rows: UInt64
        let stored: String?
        let crypt: CryptMode
        let nullOK: Bool
    }

    static let cases: [Case] = [
        Case(password: "pw", rows: 1, stored: "pw", crypt: .plain, nullOK: false),
        Case(password: "wrong", rows: 1, stored: "pw", crypt: .plain, nullOK: false),
        Case(password: "pw", rows: 0, stored: nil, crypt: .plain, nullOK: false),
        Case(password: "pw", rows: 2, stored: "pw", crypt: .plain, nullOK: false),
        Case(password: "pw", rows: 1, stored: nil, crypt: .plain, nullOK: false),
        Case(password: "", rows: 1, stored: nil, crypt: .plain, nullOK: true),
        Case(password: "", rows: 1, stored: "", crypt: .plain, nullOK: false),
        Case(password: nil, rows: 1, stored: "pw", crypt: .plain, nullOK: false),
        Case(password: String(repeating: "x", count: 600), rows: 1, stored: "pw", crypt: .plain, nullOK: false),
        Case(password: "pw", rows: 1, stored: "not-a-hash", crypt: .crypt, nullOK: false),
        Case(password: "pw", rows: 1, stored: "{PLAIN}pw", crypt: .dovecot, nullOK: false),
        Case(password: "pw", rows: 1, stored: "{NOPE}pw", crypt: .dovecot, nullOK: false),
    ]

    /// The fake servers outlive their sessions (the opener holds them unowned).
    var servers: [FakeServers] = []
    var logs: [LogLines] = []

    func session(_ item: Case, log: LogLines) -> DatabaseSession {
        let servers = FakeServers()
        self.servers.append(servers)
        logs.append(log)
        servers.answer = { _ in FakeServers.rows(item.rows, ["0", item.stored]) }
        return DatabaseSession(
            options: tableOptions(crypt: item.crypt) { $0.nullOK = item.nullOK }, log: log.log, pool: ConnectionPool(),
            failover: FailoverTable(), open: servers.opener)
    }

    func request(_ item: Case) -> LoginRequest {
        LoginRequest(user: Array("alice".utf8), password: item.password.map { SecretBytes(Array($0.utf8)) })
    }

    func testHalvesDecideAsDecideLogin() {
        for (index, item) in Self.cases.enumerated() {
            let wholeLog = LogLines()
            let whole = session(item, log: wholeLog).decideLogin(request(item))
            let splitLog = LogLines()
            let splitSession = session(item, log: splitLog)
            let found = splitSession.lookupPassword(request(item))
            let split = DatabaseSession.verifyPassword(request(item), lookup: found, options: splitSession.options, log: splitLog.log)
            XCTAssertEqual(split, whole, "case \(index)")
            XCTAssertEqual(splitLog.messages, wholeLog.messages, "case \(index)")
        }
    }

    func testLookupLeavesTheVerificationToTheHashingHalf() {
        let item = Self.cases[0]
        guard case .stored(let value) = session(item, log: LogLines()).lookupPassword(request(item)) else {
            return XCTFail("a row with a stored value must be handed to the verification")
        }
        XCTAssertEqual(value.withUnsafeBytes { Array($0) }, Array("pw".utf8))
        guard case .unknownUser = session(Self.cases[2], log: LogLines()).lookupPassword(request(Self.cases[2])) else {
            return XCTFail("an unknown user must still be verified against a decoy")
        }
    }
}
