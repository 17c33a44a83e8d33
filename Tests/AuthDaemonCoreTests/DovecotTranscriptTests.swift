import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// Every transcript of Tests/vectors/dovecot_auth_transcripts.json through one
/// DovecotAuthSession each: the bytes sent, the attempts handed out and the closes, in order.
final class DovecotTranscriptTests: XCTestCase {
    static let cookie = "0123456789abcdef0123456789abcdef"

    func testEveryTranscript() throws {
        let transcripts = try ProtocolVectors.entries("dovecot_auth_transcripts.json", "transcripts")
        for transcript in transcripts {
            try run(transcript)
        }
    }

    static func configuration(_ overrides: [String: Any]?) -> DovecotSessionConfiguration {
        var configuration = DovecotSessionConfiguration(serverProcessID: 777, connectionID: 1, cookie: cookie)
        guard let overrides else { return configuration }
        if let names = overrides["mechanisms"] as? [String] { configuration.mechanisms = names.compactMap(DovecotMechanism.init) }
        if let flag = overrides["requireSecuredForPlaintext"] as? Bool { configuration.requireSecuredForPlaintext = flag }
        if let limit = overrides["maximumRequestsInFlight"] as? Int { configuration.maximumRequestsInFlight = limit }
        if let seconds = overrides["requestExpirySeconds"] as? Int { configuration.requestExpirySeconds = UInt64(seconds) }
        return configuration
    }

    private func run(_ transcript: [String: Any]) throws {
        let name = transcript["name"] as? String ?? "?"
        var session = DovecotAuthSession(configuration: Self.configuration(transcript["config"] as? [String: Any]))
        let steps = try XCTUnwrap(transcript["steps"] as? [[String: Any]], name)
        XCTAssertFalse(steps.isEmpty, name)
        for (number, step) in steps.enumerated() {
            let label = "\(name), step \(number + 1)"
            if let lines = step["greeting"] as? [String] {
                XCTAssertEqual(String(decoding: session.greeting(), as: UTF8.self), lines.map { $0 + "\n" }.joined(), label)
                continue
            }
            let actions: [DovecotAction]
            if let line = step["client"] as? String {
                actions = session.receive(line: Array(line.utf8), now: UInt64(step["now"] as? Int ?? 0))
            } else if let id = step["complete"] as? Int {
                actions = session.complete(id: UInt32(id), verdict: try Self.verdict(step["verdict"], label))
            } else if let now = step["expire"] as? Int {
                actions = session.expire(now: UInt64(now))
            } else {
                return XCTFail("\(label): unknown step")
            }
            let expected = try XCTUnwrap(step["expect"] as? [[String: Any]], label)
            XCTAssertEqual(actions.map(Self.describe), expected.map(Self.describe), label)
            if let inFlight = step["inFlight"] as? Int { XCTAssertEqual(session.requestsInFlight, inFlight, label) }
            if expected.contains(where: { $0["close"] != nil }) { XCTAssertTrue(session.isClosed, label) }
        }
    }

    static func verdict(_ value: Any?, _ label: String) throws -> DovecotVerdict {
        if value as? String == "temporaryFailure" { return .temporaryFailure }
        let object = try XCTUnwrap(value as? [String: Any], label)
        if let user = object["accepted"] as? String { return .accepted(user: Array(user.utf8)) }
        let refused = try XCTUnwrap(object["refused"] as? [String: Any], label)
        return .refused(user: (refused["user"] as? String).map { Array($0.utf8) }, reason: refused["reason"] as? String ?? "")
    }

    /// An action as one comparable line of text: what was sent, what is to be verified (the
    /// password shown in hex: these are test vectors), or the fact of a close.
    static func describe(_ action: DovecotAction) -> String {
        switch action {
        case .send(let bytes): return "send " + String(decoding: bytes, as: UTF8.self)
        case .close: return "close"
        case .verify(let attempt):
            let password = attempt.password.withUnsafeBytes { $0.map { String($0, radix: 16) }.joined(separator: ",") }
            return "verify id=\(attempt.id) mech=\(attempt.mechanism.rawValue) user=\(String(decoding: attempt.user, as: UTF8.self)) "
                + "password=\(password) service=\(attempt.service) rip=\(attempt.remoteAddress ?? "-") "
                + "lip=\(attempt.localAddress ?? "-") secured=\(attempt.secured)"
        }
    }

    static func describe(_ expected: [String: Any]) -> String {
        if let line = expected["send"] as? String { return "send " + line + "\n" }
        if expected["close"] != nil { return "close" }
        guard let verify = expected["verify"] as? [String: Any] else { return "unknown expectation" }
        let password = (ProtocolVectors.bytes(verify, "password") ?? []).map { String($0, radix: 16) }.joined(separator: ",")
        return "verify id=\(verify["id"] as? Int ?? -1) mech=\(verify["mechanism"] as? String ?? "?") "
            + "user=\(verify["user"] as? String ?? "?") password=\(password) service=\(verify["service"] as? String ?? "?") "
            + "rip=\(verify["rip"] as? String ?? "-") lip=\(verify["lip"] as? String ?? "-") secured=\(verify["secured"] as? Bool ?? false)"
    }
}
