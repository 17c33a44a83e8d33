import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// The penalty per address on a fake clock (milliseconds): 0, 2, 4, 8… capped, decay, reset,
/// repeated attempts, the LRU bound.
final class AddressPenaltyTests: XCTestCase {
    static var key: SecretBytes { SecretBytes(Array("0123456789abcdef0123456789abcdef".utf8)) }
    static let alpha = ClientAddressKey(parsing: "192.0.2.7", ipv6Prefix: 64)!
    static let beta = ClientAddressKey(parsing: "198.51.100.1", ipv6Prefix: 64)!

    enum Outcome {
        /// A refusal with this password (nil: no fingerprint).
        case fail(String?)
        case succeed
        /// No verdict recorded: only the wait a request arriving then gets.
        case look
    }

    /// Requests from one address: (arrival, the wait it gets, its outcome, answered at arrival
    /// plus the wait); cap 7 s.
    static let script: [(Int64, Int64, Outcome)] = [
        (0, 0, .fail("a")),
        (10, 2000, .fail("b")),
        (2020, 4000, .fail("c")),
        (6030, 7000, .fail("d")),  // 8 s, capped
        (13_040, 7000, .fail("d")),  // the same password again: no raise (the wait is kept)
        (20_050, 7000, .fail("a")),  // one of the last ten: no raise either
        // Quiet after the answer at 27 050: level 4 decays after 16 s, 3 after 8 more, 2 after 4, 1 after 2.
        (43_049, 7000, .look),
        (43_050, 7000, .look),  // level 3: 8 s, capped
        (51_050, 4000, .look),
        (55_050, 2000, .look),
        (57_050, 0, .look),
        (57_050, 0, .fail("e")),
        (57_060, 2000, .fail("f")),
        (59_070, 4000, .succeed),  // a success resets
        (63_080, 0, .fail("f")),  // and forgets the remembered attempts
        (63_090, 2000, .look),
    ]

    func testTheWaitDoublesFrom2sUpToTheCapDecaysAndASuccessResets() {
        var penalty = AddressPenalty(capacity: 100)
        for (index, (arrived, expected, outcome)) in Self.script.enumerated() {
            let delay = penalty.delay(for: Self.alpha, now: arrived, maximumMilliseconds: 7000)
            XCTAssertEqual(delay, expected, "request \(index) at \(arrived) ms")
            XCTAssertEqual(penalty.delay(for: Self.beta, now: arrived, maximumMilliseconds: 7000), 0, "another address, request \(index)")
            switch outcome {
            case .fail(let password):
                penalty.recordFailure(Self.alpha, fingerprint: password.map(Self.fingerprint), arrived: arrived, answered: arrived + delay)
            case .succeed: penalty.recordSuccess(Self.alpha)
            case .look: break
            }
        }
    }

    func testRequestsInParallelEachRaiseTheLevel() {
        var penalty = AddressPenalty(capacity: 10)
        let levels = (0..<6).map { penalty.recordFailure(Self.alpha, fingerprint: Self.fingerprint("p\($0)"), arrived: 0, answered: 5) }
        XCTAssertEqual(levels, [1, 2, 3, 4, 4, 4])
        XCTAssertEqual(penalty.delay(for: Self.alpha, now: 6, maximumMilliseconds: 7000), 7000)
    }

    func testOnlyTheLastTenAttemptsAreRemembered() {
        var penalty = AddressPenalty(capacity: 10)
        for index in 0...10 { penalty.recordFailure(Self.alpha, fingerprint: Self.fingerprint("p\(index)"), arrived: 0, answered: 0) }
        // 16 + 8 + 4 s later the address is at level 1 and still remembers p1...p10.
        XCTAssertEqual(penalty.level(of: Self.alpha, now: 28_000), 1)
        XCTAssertEqual(penalty.recordFailure(Self.alpha, fingerprint: Self.fingerprint("p1"), arrived: 28_000, answered: 28_000), 1)
        XCTAssertEqual(penalty.recordFailure(Self.alpha, fingerprint: Self.fingerprint("p0"), arrived: 28_000, answered: 28_000), 2)
        // Decayed to 0, it forgets them all.
        XCTAssertEqual(penalty.level(of: Self.alpha, now: 40_000), 0)
        XCTAssertEqual(penalty.recordFailure(Self.alpha, fingerprint: Self.fingerprint("p1"), arrived: 40_000, answered: 40_000), 1)
    }

    static func fingerprint(_ password: String) -> AttemptFingerprint {
        AttemptFingerprint(user: Array("alice".utf8), password: SecretBytes(Array(password.utf8)), key: key)!
    }

    func testTheFingerprintDependsOnUserPasswordAndKey() {
        let user = Array("alice".utf8)
        let base = AttemptFingerprint(user: user, password: SecretBytes(Array("secret".utf8)), key: Self.key)!
        let others = [
            AttemptFingerprint(user: Array("alicE".utf8), password: SecretBytes(Array("secret".utf8)), key: Self.key)!,
            AttemptFingerprint(user: user, password: SecretBytes(Array("secreT".utf8)), key: Self.key)!,
            AttemptFingerprint(user: Array("alices".utf8), password: SecretBytes(Array("ecret".utf8)), key: Self.key)!,
            AttemptFingerprint(user: user, password: SecretBytes(Array("secret".utf8)), key: SecretBytes(Array("another key".utf8)))!,
        ]
        for (index, other) in others.enumerated() {
            var penalty = AddressPenalty(capacity: 10)
            penalty.recordFailure(Self.alpha, fingerprint: base, arrived: 0, answered: 0)
            XCTAssertEqual(
                penalty.recordFailure(Self.alpha, fingerprint: other, arrived: 0, answered: 0), 2, "attempt \(index) is a new one")
            XCTAssertEqual(penalty.recordFailure(Self.alpha, fingerprint: base, arrived: 0, answered: 0), 2, "the same attempt again")
        }
    }

    func testTheTableIsBoundedLeastRecentlyUsedFirst() {
        var penalty = AddressPenalty(capacity: 3)
        let keys = (1...5).map { ClientAddressKey(parsing: "203.0.113.\($0)", ipv6Prefix: 64)! }
        for key in keys.prefix(3) { penalty.recordFailure(key, fingerprint: nil, arrived: 0, answered: 0) }
        _ = penalty.level(of: keys[0], now: 1)  // used: kept
        penalty.recordFailure(keys[3], fingerprint: nil, arrived: 1, answered: 1)
        XCTAssertEqual(penalty.count, 3)
        XCTAssertEqual(penalty.level(of: keys[0], now: 1), 1)
        XCTAssertEqual(penalty.level(of: keys[1], now: 1), 0, "the least recently used went")
        XCTAssertEqual(penalty.level(of: keys[3], now: 1), 1)
        for index in 0..<1000 {
            penalty.recordFailure(
                ClientAddressKey(parsing: "10.0.\(index / 256).\(index % 256)", ipv6Prefix: 64)!, fingerprint: nil, arrived: 2, answered: 2)
        }
        XCTAssertEqual(penalty.count, 3)
    }

    func testTheDelayTable() {
        let vectors: [(Int, Int64, Int64)] = [
            (0, 7000, 0), (1, 7000, 2000), (2, 7000, 4000), (3, 7000, 7000), (3, 9000, 8000), (4, 7500, 7500), (1, 0, 0),
        ]
        for (level, cap, expected) in vectors {
            XCTAssertEqual(AddressPenalty.delay(level: level, maximumMilliseconds: cap), expected, "level \(level) cap \(cap)")
        }
    }

    func testTheLRUTableKeepsItsLinksStraight() {
        var table = LRUTable<Int, Int>(capacity: 4)
        for i in 0..<4 { table.set(i, for: i) }
        XCTAssertEqual(table.value(for: 0), 0)
        XCTAssertEqual(table.set(4, for: 4), 1)
        XCTAssertEqual(table.removeValue(for: 2), 2)
        XCTAssertNil(table.set(5, for: 5))
        XCTAssertEqual(table.set(6, for: 6), 3)
        XCTAssertEqual(table.set(7, for: 7), 0)
        XCTAssertEqual(table.count, 4)
        XCTAssertEqual([4, 5, 6, 7].map { table.peek($0) }, [4, 5, 6, 7])
        table.removeAll()
        XCTAssertEqual(table.count, 0)
        XCTAssertNil(table.set(1, for: 1))
    }
}
