import AuthDaemonCore
import XCTest

final class ControlCommandTests: XCTestCase {
    private func parse(_ line: String) -> Result<ControlCommand, ControlCommand.ParseError> {
        ControlCommand.parse(Array(line.utf8))
    }

    func testCommandsAndTheirArguments() {
        let vectors: [(String, ControlCommand)] = [
            ("status", .status),
            ("status\r", .status),
            ("  reload  ", .reload),
            ("flush", .flush(service: nil, user: nil)),
            ("flush smtp", .flush(service: "smtp", user: nil)),
            ("flush\tsmtp  alice@example.org", .flush(service: "smtp", user: "alice@example.org")),
            ("unlock bob", .unlock(user: "bob")),
        ]
        for (line, command) in vectors {
            XCTAssertEqual(parse(line), .success(command), line)
        }
    }

    func testBadLinesAreRefusedWithTheReason() {
        let vectors: [(String, ControlCommand.ParseError)] = [
            ("", .empty),
            ("   \r", .empty),
            ("STATUS", .unknownVerb("STATUS")),
            ("shutdown now", .unknownVerb("shutdown")),
            ("status all", .wrongArguments(verb: "status", usage: "status")),
            ("reload x", .wrongArguments(verb: "reload", usage: "reload")),
            ("flush a b c", .wrongArguments(verb: "flush", usage: "flush [SERVICE [USER]]")),
            ("unlock", .wrongArguments(verb: "unlock", usage: "unlock USER")),
            ("unlock a b", .wrongArguments(verb: "unlock", usage: "unlock USER")),
            ("flush ../etc/passwd", .invalidServiceName("../etc/passwd")),
            ("flush a/b", .invalidServiceName("a/b")),
            ("unlock a\u{0}b", .notText),
            ("status\u{1b}[2J", .notText),
        ]
        for (line, error) in vectors {
            XCTAssertEqual(parse(line), .failure(error), line.debugDescription)
        }
    }

    func testUnknownVerbIsEscapedInTheMessage() {
        XCTAssertEqual(
            ControlCommand.ParseError.unknownVerb("st\u{e9}tus").description,
            "unknown command 'st\\xc3\\xa9tus'; commands: status, reload, flush [SERVICE [USER]], unlock USER")
    }

    func testVerbs() {
        XCTAssertEqual(
            [ControlCommand.status, .reload, .flush(service: nil, user: nil), .unlock(user: "u")].map(\.verb),
            ["status", "reload", "flush", "unlock"])
    }
}
