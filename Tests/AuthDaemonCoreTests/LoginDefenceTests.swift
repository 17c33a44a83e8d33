import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// The defences around a login on a fake clock: trusted networks, the per-address cap,
/// requests without an address, the user lock and its answers, the settings' keys.
final class LoginDefenceTests: XCTestCase {
    static let key = Array("a fixed key for the tests' HMAC.".utf8)

    func admit(
        _ defence: LoginDefence, _ user: String = "alice", _ password: String = "wrong", from address: String?,
        _ settings: DefenceSettings = DefenceSettings(), at now: Int64
    ) -> LoginDefence.Admission {
        defence.admit(
            user: Array(user.utf8), password: SecretBytes(Array(password.utf8)), remoteAddress: address, settings: settings, now: now)
    }

    func ticket(_ admission: LoginDefence.Admission, file: StaticString = #filePath, line: UInt = #line) throws -> LoginDefence.Ticket {
        guard case .admitted(let ticket) = admission else {
            XCTFail("not admitted: \(admission)", file: file, line: line)
            throw CancellationError()
        }
        return ticket
    }

    func fail(
        _ defence: LoginDefence, _ user: String = "alice", _ password: String, from address: String?,
        _ settings: DefenceSettings = DefenceSettings(), at now: Int64
    ) throws -> LoginDefence.Settlement {
        let ticket = try ticket(admit(defence, user, password, from: address, settings, at: now))
        let settled = defence.settle(ticket, verdict: .refused(.passwordMismatch), now: now)
        defence.release(ticket)
        return settled
    }

    func testTrustedNetworksAndRequestsWithoutAnAddressGetNoPenalty() throws {
        var settings = DefenceSettings()
        settings.trustedNetworks = try XCTUnwrap(TrustedNetworks(parsing: "127.0.0.1/32 2001:db8:ffff::/48"))
        let defence = LoginDefence(key: Self.key)
        for (index, address) in ["127.0.0.1", "2001:db8:ffff:1::9", nil, "", "not an address"].enumerated() {
            for attempt in 0..<5 { _ = try fail(defence, "u\(index)", "p\(attempt)", from: address, settings, at: Int64(attempt)) }
            XCTAssertEqual(try ticket(admit(defence, from: address, settings, at: 10)).delayMilliseconds, 0, "\(address ?? "nil")")
        }
        XCTAssertEqual(defence.tableCounts.addresses, 0, "nothing pooled under a made-up address")
        // An untrusted neighbour is penalised.
        _ = try fail(defence, "x", "p", from: "127.0.0.2", settings, at: 20)
        XCTAssertEqual(try ticket(admit(defence, from: "127.0.0.2", settings, at: 21)).delayMilliseconds, 2000)
    }

    func testPenaltyOffMeansNoWaitButTheCapStillHolds() throws {
        var settings = DefenceSettings()
        settings.penalty = false
        settings.maximumRequestsPerAddress = 2
        let defence = LoginDefence(key: Self.key)
        for attempt in 0..<5 { _ = try fail(defence, "alice", "p\(attempt)", from: "192.0.2.1", settings, at: 0) }
        let first = try ticket(admit(defence, from: "192.0.2.1", settings, at: 1))
        XCTAssertEqual(first.delayMilliseconds, 0)
        let second = try ticket(admit(defence, from: "192.0.2.1", settings, at: 1))
        guard case .tooManyFromAddress(let key) = admit(defence, from: "192.0.2.1", settings, at: 1) else {
            return XCTFail("a third request in progress was admitted")
        }
        XCTAssertEqual(key.description, "192.0.2.1")
        // Other addresses, trusted or none are not held by it.
        _ = try ticket(admit(defence, from: "192.0.2.2", settings, at: 1))
        _ = try ticket(admit(defence, from: nil, settings, at: 1))
        defence.release(first)
        let third = try ticket(admit(defence, from: "192.0.2.1", settings, at: 2))
        defence.release(second)
        defence.release(third)
        XCTAssertEqual(
            defence.tableCounts.inProgress, 1, "the other address's request is still open; the one without an address never counted")
    }

    func testTheCapCountsAnIPv6PrefixAsOneAddress() throws {
        var settings = DefenceSettings()
        settings.maximumRequestsPerAddress = 1
        let defence = LoginDefence(key: Self.key)
        _ = try ticket(admit(defence, from: "2001:db8:1:2::1", settings, at: 0))
        guard case .tooManyFromAddress = admit(defence, from: "2001:db8:1:2:ffff::2", settings, at: 0) else {
            return XCTFail("the same /64 was admitted twice")
        }
        _ = try ticket(admit(defence, from: "2001:db8:1:3::1", settings, at: 0))
        settings.maximumRequestsPerAddress = 0
        _ = try ticket(admit(defence, from: "2001:db8:1:2::1", settings, at: 0))
    }

    func testASuccessAndATemporaryFailure() throws {
        let defence = LoginDefence(key: Self.key)
        _ = try fail(defence, "alice", "a", from: "192.0.2.9", at: 0)
        // A temporary failure is nobody's doing.
        let temporary = try ticket(admit(defence, "alice", "b", from: "192.0.2.9", at: 1))
        XCTAssertEqual(temporary.delayMilliseconds, 2000)
        XCTAssertEqual(
            defence.settle(temporary, verdict: .temporaryFailure(.databaseUnavailable), now: 1).verdict,
            .temporaryFailure(.databaseUnavailable))
        defence.release(temporary)
        let success = try ticket(admit(defence, "alice", "right", from: "192.0.2.9", at: 10))
        XCTAssertEqual(success.delayMilliseconds, 2000, "a success from a penalised address waits too")
        XCTAssertEqual(
            defence.settle(success, verdict: .accepted(canonicalUser: Array("alice".utf8)), now: 10).verdict,
            .accepted(canonicalUser: Array("alice".utf8)))
        defence.release(success)
        XCTAssertEqual(try ticket(admit(defence, from: "192.0.2.9", at: 20)).delayMilliseconds, 0, "the success reset it")
    }

    func lockSettings(_ failures: Int = 3) -> DefenceSettings {
        var settings = DefenceSettings()
        settings.penalty = false
        settings.userLockFailures = failures
        settings.userLockWindow = .seconds(60)
        settings.userLockTime = .seconds(300)
        return settings
    }

    func testTheUserLockStartsAfterNFailuresWithinTheWindowFromAnyAddress() throws {
        let settings = lockSettings()
        let defence = LoginDefence(key: Self.key)
        // (time ms, address, password, the verdict answered, the lock started after)
        let script: [(Int64, String?, String, LoginVerdict, Int?)] = [
            (0, "192.0.2.1", "p1", .refused(.passwordMismatch), nil),
            (61_000, "192.0.2.2", "p2", .refused(.passwordMismatch), nil),  // the first is out of the window
            (62_000, nil, "p3", .refused(.passwordMismatch), nil),
            (62_500, nil, "p3", .refused(.passwordMismatch), nil),  // the same password again counts once
            (63_000, "2001:db8::1", "p4", .refused(.passwordMismatch), 3),
            (64_000, "192.0.2.3", "p5", .refused(.locked), nil),
        ]
        for (index, (now, address, password, answer, started)) in script.enumerated() {
            let settled = try fail(defence, "Alice", password, from: address, settings, at: now)
            XCTAssertEqual(settled.verdict, answer, "step \(index)")
            XCTAssertEqual(settled.lockStartedAfterFailures, started, "step \(index)")
        }
        // Locked: even the right password is refused, as "locked"; the case of the name does not matter.
        let right = try ticket(admit(defence, "ALICE", "right", from: "198.51.100.1", settings, at: 65_000))
        XCTAssertTrue(right.userLocked)
        XCTAssertEqual(
            defence.settle(right, verdict: .accepted(canonicalUser: Array("ALICE".utf8)), now: 65_000).verdict, .refused(.locked))
        // A temporary failure stays one.
        let temporary = try ticket(admit(defence, "alice", "right", from: nil, settings, at: 65_000))
        XCTAssertEqual(
            defence.settle(temporary, verdict: .temporaryFailure(.requestTimeout), now: 65_000).verdict, .temporaryFailure(.requestTimeout))
        // Other users are not locked.
        XCTAssertFalse(try ticket(admit(defence, "bob", "x", from: nil, settings, at: 65_000)).userLocked)
        // The lock ends after user_lock_time (from its start) and the count starts again.
        XCTAssertTrue(try ticket(admit(defence, "alice", "x", from: nil, settings, at: 362_999)).userLocked)
        XCTAssertFalse(try ticket(admit(defence, "alice", "x", from: nil, settings, at: 363_000)).userLocked)
        XCTAssertNil(try fail(defence, "alice", "q1", from: nil, settings, at: 363_000).lockStartedAfterFailures)
    }

    func testUnlockEndsALockAndASuccessForgetsTheFailures() throws {
        let settings = lockSettings(2)
        let defence = LoginDefence(key: Self.key)
        _ = try fail(defence, "carol", "a", from: nil, settings, at: 0)
        let success = try ticket(admit(defence, "carol", "right", from: nil, settings, at: 1))
        _ = defence.settle(success, verdict: .accepted(canonicalUser: Array("carol".utf8)), now: 1)
        XCTAssertNil(try fail(defence, "carol", "b", from: nil, settings, at: 2).lockStartedAfterFailures, "the success forgot the first")
        XCTAssertEqual(try fail(defence, "carol", "c", from: nil, settings, at: 3).lockStartedAfterFailures, 2)
        XCTAssertFalse(defence.unlock(user: Array("dave".utf8), now: 4))
        XCTAssertTrue(defence.unlock(user: Array("CAROL".utf8), now: 4))
        XCTAssertFalse(try ticket(admit(defence, "carol", "right", from: nil, settings, at: 5)).userLocked)
        XCTAssertFalse(defence.unlock(user: Array("carol".utf8), now: 6))
    }

    func testTheLockIsOffByDefault() throws {
        let defence = LoginDefence(key: Self.key)
        for attempt in 0..<50 {
            XCTAssertNil(try fail(defence, "erin", "p\(attempt)", from: nil, at: Int64(attempt)).lockStartedAfterFailures)
        }
        XCTAssertFalse(try ticket(admit(defence, "erin", "x", from: nil, at: 100)).userLocked)
        XCTAssertEqual(defence.tableCounts.users, 0)
    }

    func testTheUserTableIsBounded() throws {
        let settings = lockSettings()
        let defence = LoginDefence(capacity: 50, key: Self.key)
        for index in 0..<500 { _ = try fail(defence, "user\(index)", "p", from: "203.0.113.\(index % 200)", at: Int64(index)) }
        for index in 0..<500 { _ = try fail(defence, "user\(index)", "p", from: nil, settings, at: Int64(index)) }
        XCTAssertLessThanOrEqual(defence.tableCounts.users, 50)
        XCTAssertLessThanOrEqual(defence.tableCounts.addresses, 50)
    }
}
