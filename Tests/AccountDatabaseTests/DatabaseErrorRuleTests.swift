import AccountDatabase
import Foundation
import PAMMySQLCore
import XCTest

/// What each server error means to a login, from the vectors of Tests/vectors/database_errors.json:
/// its kind and remedy, the decision with one server, the failover over `host=a,b,c` when `a`
/// answers it (a Galera node outside the primary component answers ER 1047 to every SELECT but
/// accepts connections), and whether a statement that met it once succeeds in the end.
final class DatabaseErrorRuleTests: XCTestCase {
    struct Vectors: Decodable {
        struct FirstOfThree: Decodable {
            let decision: String
            let marked: Bool
            let statementsOnA: Int
        }
        struct Vector: Decodable {
            let code: UInt32
            let name: String
            let message: String
            let kind: String
            let remedy: String
            let alone: String
            let firstOfThree: FirstOfThree
            let once: String
        }
        let vectors: [Vector]

        static func load() throws -> [Vector] {
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("vectors/database_errors.json")
            return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file)).vectors
        }
    }

    var now: Int64 = 1000
    lazy var failover = FailoverTable { [unowned self] in now }
    let logged = LogLines()

    /// users(username, password, status) on `hosts`, with the status read in the password's SELECT.
    static func options(hosts: String) -> ModuleOptions {
        tableOptions(hosts: hosts) {
            $0.statColumn = "status"
            $0.failoverRetry = 30
        }
    }

    func session(_ servers: FakeServers, hosts: String, pool: ConnectionPool = ConnectionPool()) -> DatabaseSession {
        DatabaseSession(options: Self.options(hosts: hosts), log: logged.log, pool: pool, failover: failover, open: servers.opener)
    }

    /// Alice's row: status and password for the combined SELECT, the password alone otherwise.
    static func row(for sql: String) -> Result<StatementResult, DatabaseError> {
        sql.hasPrefix("SELECT status, ") ? FakeServers.rows(1, ["0", "pw"]) : FakeServers.rows(1, ["pw"])
    }

    /// Servers whose connections to `failing` answer `error` (to the first statement only, with
    /// `once`) and whose others serve alice's row, with the status column when it is selected.
    func servers(failing: Int, with error: DatabaseError, once: Bool = false) -> FakeServers {
        let servers = FakeServers()
        var failed = false
        servers.answerFor = { index, sql in
            if index == failing, !(once && failed) {
                failed = true
                return .failure(error)
            }
            return Self.row(for: sql)
        }
        return servers
    }

    static func name(of decision: LoginDecision) -> String {
        switch decision {
        case .accepted: return "accepted"
        case .refused: return "refused"
        case .temporaryFailure: return "temporaryFailure"
        case .configurationError: return "configurationError"
        }
    }

    func login(_ session: DatabaseSession) -> LoginDecision {
        session.decideLogin(LoginRequest(user: Array("alice".utf8), password: SecretBytes(Array("pw".utf8))))
    }

    func testEachErrorHasTheKindAndRemedyOfItsVector() throws {
        for vector in try Vectors.load() {
            let error = DatabaseError(statementErrorCode: vector.code, message: vector.message)
            XCTAssertEqual(error.kind == .unavailable ? "temporary" : "configuration", vector.kind, vector.name)
            XCTAssertEqual("\(error.remedy)", vector.remedy, vector.name)
        }
    }

    func testWithOneServerAnErrorIsATemporaryFailureOrAConfigurationErrorNeverARefusal() throws {
        for vector in try Vectors.load() {
            let error = DatabaseError(statementErrorCode: vector.code, message: vector.message)
            let fake = servers(failing: 0, with: error)
            let decision = login(session(fake, hosts: "a:1"))
            XCTAssertEqual(Self.name(of: decision), vector.alone, "\(vector.name): \(decision)")
            XCTAssertEqual(failover.order(ConnectionIdentity(Self.options(hosts: "a:1")).servers), [0], "a single server is never marked")
        }
    }

    func testWithThreeServersTheFirstOnesErrorFailsOverOnlyWhenItCannotServe() throws {
        for vector in try Vectors.load() {
            now += 100  // every mark of the last vector has expired
            let error = DatabaseError(statementErrorCode: vector.code, message: vector.message)
            let fake = servers(failing: 0, with: error)
            let decision = login(session(fake, hosts: "a:1,b:2,c:3"))
            let expected = vector.firstOfThree
            XCTAssertEqual(Self.name(of: decision), expected.decision, "\(vector.name): \(decision)")
            let order = failover.order(ConnectionIdentity(Self.options(hosts: "a:1,b:2,c:3")).servers)
            XCTAssertEqual(order, expected.marked ? [1, 2, 0] : [0, 1, 2], vector.name)
            XCTAssertEqual(fake.attempts, expected.marked ? [0, 1] : [0], vector.name)
            XCTAssertEqual(fake.opened.first?.statements.count, expected.statementsOnA, vector.name)
        }
    }

    func testAStatementThatMetTheErrorOnceSucceedsOnlyWhenItWasSentAgain() throws {
        for vector in try Vectors.load() {
            let error = DatabaseError(statementErrorCode: vector.code, message: vector.message)
            let fake = servers(failing: 0, with: error, once: true)
            let result = session(fake, hosts: "a:1").execute("SELECT password FROM users WHERE username = ?", parameters: [])
            XCTAssertEqual((try? result.get()) != nil ? "succeeds" : "fails", vector.once, vector.name)
        }
    }

    // MARK: Galera, ER 1047

    static let notReady = DatabaseError(statementErrorCode: 1047, message: "WSREP has not yet prepared node for application use")

    func testTheNodeThatCannotServeIsLoggedAndTheNextServerNamed() {
        let fake = servers(failing: 0, with: Self.notReady)
        XCTAssertEqual(login(session(fake, hosts: "a:1,b:2,c:3")), .accepted(.passwordVerified))
        XCTAssertTrue(
            logged.lines.contains {
                $0 == (
                    .err,
                    "MySQL error (WSREP has not yet prepared node for application use) from server 1 of 3 (a port 1): it cannot serve, trying the next server (skipped for 30 s)"
                )
            }, "\(logged.messages)")
        XCTAssertTrue(
            logged.lines.contains {
                $0 == (.warning, "using server 2 of 3 (b port 2): a port 1 could not serve the statement (skipped for 30 s)")
            },
            "\(logged.messages)")
    }

    func testEveryNodeOutsideThePrimaryComponentIsATemporaryFailureAfterOneStatementEach() {
        let fake = FakeServers()
        fake.answerFor = { _, _ in .failure(Self.notReady) }
        let decision = login(session(fake, hosts: "a:1,b:2,c:3"))
        guard case .temporaryFailure(let error) = decision else { return XCTFail("\(decision)") }
        XCTAssertEqual(error.code, 1047)
        XCTAssertEqual(error.message, "no server of the host list could serve the statement (3 tried: a port 1, b port 2, c port 3)")
        XCTAssertEqual(fake.attempts, [0, 1, 2])
        XCTAssertEqual(fake.opened.map { $0.statements.count }, [1, 1, 1])
        XCTAssertTrue(logged.lines.contains { $0 == (.err, "MySQL error (\(error.message))") }, "\(logged.messages)")
    }

    func testAPooledConnectionToTheMarkedNodeIsClosedNotUsed() {
        let pool = ConnectionPool { [unowned self] in now }
        let fake = servers(failing: -1, with: Self.notReady)
        func pooledSession() -> DatabaseSession { session(fake, hosts: "a:1,b:2", pool: pool) }
        // Two connections to a wait in the pool.
        let first = pooledSession()
        let second = pooledSession()
        XCTAssertEqual(login(first), .accepted(.passwordVerified))
        XCTAssertEqual(login(second), .accepted(.passwordVerified))
        first.end()
        second.end()
        XCTAssertEqual(pool.idleCount, 2)
        // a leaves the primary component: the first login that meets it marks it.
        fake.answerFor = { index, sql in index == 0 ? .failure(Self.notReady) : Self.row(for: sql) }
        XCTAssertEqual(login(pooledSession()), .accepted(.passwordVerified))
        let statementsOnA = fake.opened.filter { $0.serverIndex == 0 }.map { $0.statements.count }.reduce(0, +)
        // The next login does not send a statement to a on the other pooled connection.
        XCTAssertEqual(login(pooledSession()), .accepted(.passwordVerified))
        XCTAssertEqual(fake.opened.filter { $0.serverIndex == 0 }.map { $0.statements.count }.reduce(0, +), statementsOnA)
        // After failover_retry, a is tried again first.
        now += 31
        fake.answerFor = { _, sql in Self.row(for: sql) }
        let back = pooledSession()
        XCTAssertEqual(login(back), .accepted(.passwordVerified))
        XCTAssertEqual(back.connectedServer, .network(host: "a", port: 1))
    }

    func testADeadlockSentAgainKeepsTheConnection() {
        let deadlock = DatabaseError(
            statementErrorCode: 1213, message: "Deadlock found when trying to get lock; try restarting transaction")
        let fake = servers(failing: 0, with: deadlock, once: true)
        let only = session(fake, hosts: "a:1")
        XCTAssertEqual(login(only), .accepted(.passwordVerified))
        XCTAssertEqual(fake.opened.count, 1)
        XCTAssertEqual(fake.opened[0].statements.count, 2)
    }
}
