import AccountDatabase
import PAMMySQLCore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Failover order and the skip table, the pool's checkout, return, idle and fork rules, and the
/// retry-once rule, over fake connections and a clock the test turns.
final class SessionAndPoolTests: XCTestCase {
    var now: Int64 = 1000
    lazy var pool = ConnectionPool { [unowned self] in now }
    lazy var failover = FailoverTable { [unowned self] in now }
    let servers = FakeServers()
    let logged = LogLines()

    func session(_ options: ModuleOptions = tableOptions()) -> DatabaseSession {
        DatabaseSession(options: options, log: logged.log, pool: pool, failover: failover, open: servers.opener)
    }

    func run(_ session: DatabaseSession) -> Result<StatementResult, DatabaseError> {
        session.execute("SELECT 1", parameters: [])
    }

    // MARK: failover

    func testServersAreTriedInOrderAndAFailedOneIsSkippedForFailoverRetry() {
        let options = tableOptions(hosts: "a:1,b:2,c:3") { $0.failoverRetry = 30 }
        servers.refusing = [0]
        let first = session(options)
        XCTAssertNoThrow(try run(first).get())
        XCTAssertEqual(servers.attempts, [0, 1])
        XCTAssertEqual(first.connectedServer, .network(host: "b", port: 2))
        XCTAssertTrue(logged.messages.contains { $0.hasPrefix("using server 2 of 3 (b port 2): a port 1 failed to connect") })
        XCTAssertEqual(failover.order(first.identity.servers), [1, 2, 0])
        // Within failover_retry, a new session goes to b first.
        first.drop()
        servers.refusing = []
        _ = try? run(session(options)).get()
        XCTAssertEqual(servers.attempts, [0, 1, 1])
        // After it, a is first again.
        now += 31
        XCTAssertEqual(failover.order(first.identity.servers), [0, 1, 2])
    }

    func testEveryServerMarkedMeansAllAreTriedInOrder() {
        let options = tableOptions(hosts: "a:1,b:2")
        servers.refusing = [0, 1]
        guard case .failure(let error) = run(session(options)) else { return XCTFail("no server answers") }
        XCTAssertEqual(error.kind, .unavailable)
        XCTAssertTrue(error.message.hasPrefix("no server of the host list could be connected (2 tried"))
        XCTAssertEqual(failover.order(ConnectionIdentity(options).servers), [0, 1])
    }

    func testAServerWhoseConnectTheDeadlineCutShortIsNotMarkedAsFailed() {
        let options = tableOptions(hosts: "a:1,b:2")
        let slow = servers.opener
        let session = DatabaseSession(
            options: options, log: logged.log, pool: pool, failover: failover,
            open: { options, identity, index in
                // The first server takes all the time there is, then fails.
                if index == 0 {
                    while let left = LoginDeadline.remainingMilliseconds(), left > 0 { usleep(10_000) }
                    return .failure(DatabaseError(kind: .unavailable, code: 2013, message: "Lost connection"))
                }
                return slow(options, identity, index)
            })
        let result = LoginDeadline.with(seconds: 1) { session.execute("SELECT 1", parameters: []) }
        guard case .failure = result else { return XCTFail("no time was left for server 2") }
        XCTAssertTrue(logged.messages.contains { $0.hasPrefix("login_timeout (7 s) reached before server 2 of 2") }, "\(logged.messages)")
        XCTAssertEqual(failover.order(session.identity.servers), [0, 1], "server 1 was marked as failed")
    }

    /// What a server frozen with SIGSTOP does to an open connection: the statement is sent and
    /// nothing comes back until the wait is cut (the wait hook's deadline).
    static func silent(_ sql: String) -> Result<StatementResult, DatabaseError> {
        while let left = LoginDeadline.remainingMilliseconds(), left > 0 { usleep(10_000) }
        return .failure(DatabaseError(kind: .unavailable, code: 2013, message: "Lost connection to server during query"))
    }

    func testASilentServerCostsHalfTheDeadlineAndTheStatementGoesToTheNextServer() {
        let options = tableOptions(hosts: "a:1,b:2") { $0.failoverRetry = 30 }
        let first = session(options)
        XCTAssertNoThrow(try run(first).get())
        servers.opened[0].answer = Self.silent
        let started = LoginDeadline.nowMillisecondsForTests()
        let result = LoginDeadline.with(seconds: 4) { run(first) }
        let elapsed = LoginDeadline.nowMillisecondsForTests() - started
        XCTAssertNoThrow(try result.get(), "the statement was not sent again to server 2")
        XCTAssertEqual(first.connectedServer, .network(host: "b", port: 2))
        XCTAssertTrue((1900...2600).contains(elapsed), "server 1 took \(elapsed) ms of the 4 s deadline, not half")
        XCTAssertEqual(failover.order(first.identity.servers), [1, 0], "server 1 was not marked as failed")
        XCTAssertTrue(logged.messages.contains { $0.hasPrefix("server 1 of 2 (a port 1) did not answer") }, "\(logged.messages)")
        XCTAssertEqual(first.takeServersMarkedFailed(), 1)
        XCTAssertEqual(first.takeServersMarkedFailed(), 0)
    }

    func testAPooledConnectionToAServerMarkedFailedIsLeftForTheNextServer() {
        let options = tableOptions(hosts: "a:1,b:2") { $0.failoverRetry = 30 }
        let first = session(options)
        XCTAssertNoThrow(try run(first).get())
        first.end()
        // Another session found server 1 silent: this one does not wait for it again.
        failover.noteFailure(of: .network(host: "a", port: 1), skipFor: 30)
        servers.opened[0].answer = Self.silent
        let second = session(options)
        let result = LoginDeadline.with(seconds: 4) { run(second) }
        XCTAssertNoThrow(try result.get())
        XCTAssertEqual(second.connectedServer, .network(host: "b", port: 2))
        XCTAssertEqual(servers.opened[0].statements.count, 1, "the statement went to the server marked as failed")
    }

    func testASilentOnlyServerGetsTheWholeDeadline() {
        let first = session()
        XCTAssertNoThrow(try run(first).get())
        servers.answer = Self.silent
        let started = LoginDeadline.nowMillisecondsForTests()
        let result = LoginDeadline.with(seconds: 2) { run(first) }
        let elapsed = LoginDeadline.nowMillisecondsForTests() - started
        guard case .failure(let error) = result else { return XCTFail("a silent server answered") }
        XCTAssertEqual(error.kind, .unavailable)
        XCTAssertGreaterThanOrEqual(elapsed, 1900, "one server: its statement is not cut to a share")
    }

    func testOneServerIsNotRemembered() {
        servers.refusing = [0]
        _ = run(session())
        XCTAssertEqual(failover.order(ConnectionIdentity(tableOptions()).servers), [0])
        XCTAssertFalse(logged.messages.contains { $0.contains("server 1 of 1") })
    }

    // MARK: the pool

    func testEndReturnsTheConnectionAndTheNextSessionTakesIt() {
        let first = session()
        _ = run(first)
        first.end()
        XCTAssertEqual(pool.idleCount, 1)
        let second = session()
        _ = run(second)
        XCTAssertEqual(servers.opened.count, 1, "the pooled connection was not reused")
        XCTAssertEqual(pool.idleCount, 0)
    }

    func testADifferentIdentityGetsItsOwnConnection() {
        let first = session()
        _ = run(first)
        first.end()
        let other = session(tableOptions { $0.db = "other" })
        _ = run(other)
        XCTAssertEqual(servers.opened.count, 2)
        XCTAssertEqual(pool.idleCount, 1, "the first connection waits for its own identity")
    }

    func testIdleConnectionsExpireAndSweepClosesThem() {
        let first = session()
        _ = run(first)
        first.end()
        now += ConnectionPool.maximumIdleSeconds + 1
        pool.sweep()
        XCTAssertEqual(pool.idleCount, 0)
        XCTAssertFalse(servers.opened[0].abandoned, "an expired connection is closed, not abandoned")
    }

    func testAConnectionOfAnotherProcessIsAbandonedNotClosed() {
        let first = session()
        _ = run(first)
        first.end()
        servers.opened[0].isUsableInThisProcess = false  // as in a child of fork()
        XCTAssertNil(pool.checkOut(first.identity))
        XCTAssertEqual(pool.idleCount, 0)
    }

    func testThePoolKeepsAtMostEightIdle() {
        let sessions = (0..<10).map { _ in session() }
        for each in sessions { _ = run(each) }
        for each in sessions { each.end() }
        XCTAssertEqual(pool.idleCount, ConnectionPool.maximumIdle)
    }

    func testWithoutPoolingTheConnectionIsClosedAtTheEnd() {
        let first = session()
        first.poolsConnections = false
        _ = run(first)
        first.end()
        XCTAssertEqual(pool.idleCount, 0)
    }

    // MARK: retry once

    func testAReusedConnectionThatWasLostIsReplacedOnce() {
        let first = session()
        _ = run(first)
        first.end()
        var calls = 0
        servers.answer = { _ in
            calls += 1
            return calls == 1
                ? .failure(DatabaseError(kind: .unavailable, code: 2006, message: "MySQL server has gone away"))
                : .success(StatementResult(rowCount: 0, firstRow: []))
        }
        XCTAssertNoThrow(try run(session()).get())
        XCTAssertEqual(servers.opened.count, 2, "the lost connection was replaced by a fresh one")
    }

    func testAFreshConnectionIsNeverRetried() {
        servers.answer = { _ in .failure(DatabaseError(kind: .unavailable, code: 2013, message: "Lost connection")) }
        guard case .failure = run(session()) else { return XCTFail("a lost fresh connection fails") }
        XCTAssertEqual(servers.attempts, [0])
    }

    func testAStatementErrorKeepsTheConnection() {
        servers.answer = { _ in .failure(DatabaseError(kind: .statement, code: 1146, message: "no table")) }
        let only = session()
        _ = run(only)
        _ = run(only)
        XCTAssertEqual(servers.opened.count, 1)
    }

    // MARK: the account row

    func testTheAccountCheckReusesTheAuthenticationRowOnlyForTheSameDatabase() {
        servers.answer = { _ in FakeServers.rows(1, ["1", "pw"]) }
        let auth = session()
        XCTAssertEqual(
            auth.decideLogin(LoginRequest(user: Array("alice".utf8), password: SecretBytes(Array("pw".utf8)))), .accepted(.passwordVerified)
        )
        let statements = servers.opened[0].statements.count
        XCTAssertEqual(auth.decideAccount(user: Array("alice".utf8)), .status(.expired, bits: 1, readByAuthentication: true))
        XCTAssertEqual(servers.opened[0].statements.count, statements, "the cached row was not used")
        _ = auth.decideLogin(LoginRequest(user: Array("alice".utf8), password: SecretBytes(Array("pw".utf8))))
        auth.options.db = "other"
        XCTAssertEqual(auth.decideAccount(user: Array("alice".utf8)), .status(.expired, bits: 1, readByAuthentication: false))
    }
}
