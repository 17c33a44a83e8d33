import AuthDaemonCore
import XCTest

final class ControlReplyTests: XCTestCase {
    func testStatusLinesAreSortedAndEndWithOK() {
        let status = ControlStatus(
            uptimeSeconds: 3600, openConnections: 12, acceptedConnections: 4711,
            requests: [
                .init(protocolName: "saslauthd", result: "no"): 3,
                .init(protocolName: "dovecot", result: "ok"): 4000,
                .init(protocolName: "dovecot", result: "fail"): 7,
                .init(protocolName: "dove cot\n", result: "ok"): 1,
            ])
        XCTAssertEqual(
            ControlReply.status(status).lines,
            [
                "uptime_seconds 3600",
                "connections_open 12",
                "connections_accepted 4711",
                "requests dove_cot_ ok 1",
                "requests dovecot fail 7",
                "requests dovecot ok 4000",
                "requests saslauthd no 3",
                "OK",
            ])
    }

    func testTheDefencesCountersFollowTheRequestsSorted() {
        var status = ControlStatus(
            uptimeSeconds: 1, openConnections: 0, acceptedConnections: 2, requests: [.init(protocolName: "dovecot", result: "fail"): 2])
        status.defence = ["user_locks": 1, "penalty_delays": 5, "address_limit_refusals": 0]
        XCTAssertEqual(
            ControlReply.status(status).lines,
            [
                "uptime_seconds 1", "connections_open 0", "connections_accepted 2", "requests dovecot fail 2",
                "defence address_limit_refusals 0", "defence penalty_delays 5", "defence user_locks 1", "OK",
            ])
    }

    func testOtherCountersFollowTheRequestsSortedByName() {
        let status = ControlStatus(
            uptimeSeconds: 1, openConnections: 0, acceptedConnections: 0,
            requests: [.init(protocolName: "dovecot", result: "ok"): 2],
            events: ["result_cache_misses": 1, "result_cache_hits": 5, "odd name": 3])
        XCTAssertEqual(
            Array(ControlReply.status(status).lines.suffix(5)),
            ["requests dovecot ok 2", "odd_name 3", "result_cache_hits 5", "result_cache_misses 1", "OK"])
    }

    func testEveryReplyEndsWithOneOutcomeLine() {
        let vectors: [(ControlReply, [String], Bool)] = [
            (.done("configuration reloaded"), ["OK configuration reloaded"], true),
            (
                .failed("/etc/pam-mysql-authd.conf line 3: unknown key\nx"), ["ERROR /etc/pam-mysql-authd.conf line 3: unknown key\\x0ax"],
                false
            ),
            (.notSupported(verb: "flush"), ["ERROR flush is not supported yet"], false),
            (.invalid(.empty), ["ERROR empty command; commands: status, reload, flush [SERVICE [USER]], unlock USER"], false),
            (.lineTooLong, ["ERROR line longer than 1024 bytes"], false),
        ]
        for (reply, lines, succeeded) in vectors {
            XCTAssertEqual(reply.lines, lines)
            XCTAssertEqual(reply.succeeded, succeeded)
            XCTAssertEqual(ControlReply.outcome(ofLastLine: lines[lines.count - 1]), succeeded)
        }
    }

    func testOnlyOutcomeLinesEndAReply() {
        XCTAssertEqual(ControlReply.outcome(ofLastLine: "OK"), true)
        XCTAssertEqual(ControlReply.outcome(ofLastLine: "ERROR x"), false)
        XCTAssertNil(ControlReply.outcome(ofLastLine: "uptime_seconds 3"))
        XCTAssertNil(ControlReply.outcome(ofLastLine: "OKAY"))
        XCTAssertNil(ControlReply.outcome(ofLastLine: "requests dovecot ok 1"))
    }
}
