import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// The session's rules that are not one transcript: limits, ordering, secrets.
final class DovecotAuthSessionTests: XCTestCase {
    private func session(_ change: (inout DovecotSessionConfiguration) -> Void = { _ in }) -> DovecotAuthSession {
        var configuration = DovecotTranscriptTests.configuration(nil)
        change(&configuration)
        var session = DovecotAuthSession(configuration: configuration)
        XCTAssertTrue(session.receive(line: Array("VERSION\t1\t0".utf8), now: 0).isEmpty)
        return session
    }

    private func lines(_ actions: [DovecotAction]) -> [String] {
        actions.map(DovecotTranscriptTests.describe)
    }

    /// Postfix takes an SPID before any MECH as the auth-master socket and gives up.
    func testMechanismsAreAnnouncedBeforeSPID() throws {
        let greeting = String(decoding: session().greeting(), as: UTF8.self).split(separator: "\n").map(String.init)
        let spid = try XCTUnwrap(greeting.firstIndex { $0.hasPrefix("SPID\t") })
        let mechs = greeting.indices.filter { greeting[$0].hasPrefix("MECH\t") }
        XCTAssertEqual(mechs.count, 2)
        XCTAssertTrue(mechs.allSatisfy { $0 < spid })
        XCTAssertEqual(greeting.first, "VERSION\t1\t2")
        XCTAssertEqual(greeting.last, "DONE")
    }

    func testTheCookieIs32HexDigits() {
        XCTAssertEqual(DovecotSessionConfiguration.cookie(fromBytes: (0..<16).map { UInt8($0 * 17) }), "00112233445566778899aabbccddeeff")
    }

    func testALineOverTheLimitCloses() {
        var session = session()
        let line = Array("AUTH\t1\tPLAIN\tservice=smtp\tresp=".utf8) + [UInt8](repeating: 0x41, count: 16384)
        XCTAssertEqual(lines(session.receive(line: line, now: 0)), ["close"])
        XCTAssertTrue(session.isClosed)
    }

    func testALineOfTheLimitIsRead() {
        var session = session()
        let prefix = Array("AUTH\t1\tPLAIN\tservice=smtp\tresp=".utf8)
        let line = prefix + [UInt8](repeating: 0x41, count: 16384 - prefix.count)
        XCTAssertEqual(line.count, 16384)
        let answer = lines(session.receive(line: line, now: 0))
        XCTAssertEqual(answer.count, 1)
        XCTAssertTrue(answer.first?.hasPrefix("send FAIL\t1\t") ?? false, "\(answer)")
        XCTAssertFalse(session.isClosed)
    }

    func testNextExpiryIsTheEarliestWaitingRequest() {
        var session = session()
        XCTAssertNil(session.nextExpiry)
        _ = session.receive(line: Array("AUTH\t1\tLOGIN\tservice=smtp".utf8), now: 5000)
        _ = session.receive(line: Array("AUTH\t2\tLOGIN\tservice=smtp".utf8), now: 7000)
        XCTAssertEqual(session.nextExpiry, 155_000)
        _ = session.expire(now: 155_000)
        XCTAssertEqual(session.nextExpiry, 157_000)
        XCTAssertEqual(session.requestsInFlight, 1)
    }

    func testAnExpiryThatOverflowsNeverExpires() {
        var session = session { $0.requestExpirySeconds = UInt64.max }
        _ = session.receive(line: Array("AUTH\t1\tPLAIN\tservice=smtp".utf8), now: 1)
        XCTAssertEqual(session.nextExpiry, UInt64.max)
    }

    func testConfigurationLimitsAreClamped() {
        let configuration = DovecotSessionConfiguration(
            maximumLineLength: 0, maximumRequestsInFlight: 0, serverProcessID: 1, connectionID: 1, cookie: "")
        XCTAssertEqual(configuration.maximumLineLength, 64)
        XCTAssertEqual(configuration.maximumRequestsInFlight, 1)
    }

    /// No sent line and no close reason ever holds the password, its base64 or the bytes of a
    /// mistyped line, whatever the client sends.
    func testSecretsNeverReachRepliesOrCloseReasons() {
        let password = "Tr0ub4dor&3-secret"
        let b64 = { (text: String) in Base64.encode(SecretBytes(Array(text.utf8))).withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        let plain = b64("\u{0}alice\u{0}" + password)
        let script = [
            "AUTH\t1\tPLAIN\tservice=smtp\tresp=\(plain)",
            "AUTH\t2\tLOGIN\tservice=smtp\tresp=\(b64("alice"))",
            "CONT\t2\t\(b64(password))",
            "CONT\t1\t\(plain)",
            "AUTH\t3\tPLAIN\tservice=smtp\tresp=\(b64("x\u{0}alice\u{0}" + password))",
            "AUTH\t4\tPLAIN\tservice=smtp\tresp=\(b64("\u{0}alice\u{0}" + password + "\u{0}"))",
            "AUTH\t5\tPLAIN\tservice=smtp\tresp=\(plain)*",
            "AUTH\t6\tPLAIN\tservice=smtp\tresp=\(plain)\textra",
        ]
        var shown: [String] = []
        for closing in [password, "CONT\tx\t" + plain, "AUTH\t1\tPLAIN\tservice=smtp\tresp=\(plain)"] {
            var session = session()
            for line in script + [closing] {
                for action in session.receive(line: Array(line.utf8), now: 0) {
                    switch action {
                    case .send(let bytes): shown.append(String(decoding: bytes, as: UTF8.self))
                    case .close(let reason): shown.append(reason)
                    case .verify(let attempt):
                        shown += session.complete(id: attempt.id, verdict: .refused(user: attempt.user, reason: "")).map(
                            DovecotTranscriptTests.describe)
                    }
                }
            }
        }
        XCTAssertGreaterThan(shown.count, 10)
        for text in shown {
            XCTAssertFalse(text.contains("Tr0ub4dor"), text)
            XCTAssertFalse(text.contains(String(plain.prefix(12))), text)
            XCTAssertFalse(text.contains(String(b64(password).prefix(8))), text)
        }
    }

    func testAttemptsCarryTheRequestsParameters() {
        var session = session()
        let actions = session.receive(
            line: Array("AUTH\t9\tPLAIN\tservice=submission\tlip=::1\trip=203.0.113.9\tsecured\tresp=AGJvYgBwdw==".utf8), now: 0)
        guard case .verify(let attempt) = actions.first, actions.count == 1 else { return XCTFail("no attempt") }
        XCTAssertEqual(attempt.id, 9)
        XCTAssertEqual(attempt.mechanism, .plain)
        XCTAssertEqual(attempt.user, Array("bob".utf8))
        XCTAssertTrue(attempt.password.isText("pw"))
        XCTAssertEqual(attempt.service, "submission")
        XCTAssertEqual(attempt.localAddress, "::1")
        XCTAssertEqual(attempt.remoteAddress, "203.0.113.9")
        XCTAssertTrue(attempt.secured)
        XCTAssertEqual(session.requestsInFlight, 1)
    }
}
