import AuthDaemonCore
import XCTest

/// Service names come from clients and become file names under the pam.d directory.
final class ServiceNameTests: XCTestCase {
    func testPlainNamesAreAccepted() throws {
        for name in ["smtp", "imap", "dovecot", "submission", "smtp-relay", "a.b", "S_1", String(repeating: "x", count: 64)] {
            XCTAssertEqual(try ServiceName(validating: name).text, name)
        }
    }

    func testEachUnsafeShapeIsRefusedWithItsReason() {
        let vectors: [([UInt8], ServiceNameError)] = [
            ([], .empty),
            (Array(repeating: UInt8(ascii: "a"), count: 65), .tooLong(count: 65)),
            (Array("../etc/shadow".utf8), .slash(shown: "../etc/shadow")),
            (Array("a/b".utf8), .slash(shown: "a/b")),
            (Array("..".utf8), .leadingDot(shown: "..")),
            (Array(".".utf8), .leadingDot(shown: ".")),
            (Array(".hidden".utf8), .leadingDot(shown: ".hidden")),
            ([UInt8(ascii: "s"), 0, UInt8(ascii: "x")], .controlCharacter(shown: "s\\x00x")),
            (Array("smtp\n".utf8), .controlCharacter(shown: "smtp\\x0a")),
            (Array("sm tp".utf8), .notPrintableASCII(shown: "sm tp")),
            ([0x73, 0xC3, 0xA9], .notPrintableASCII(shown: "s\\xc3\\xa9")),
            ([0x7F], .controlCharacter(shown: "\\x7f")),
        ]
        for (bytes, expected) in vectors {
            XCTAssertThrowsError(try ServiceName(validating: bytes), "\(bytes)") { error in
                XCTAssertEqual(error as? ServiceNameError, expected)
            }
        }
    }

    func testMessagesAreEscapedAndBounded() {
        let hostile = Array("x/\u{1b}[31m".utf8) + [0]
        XCTAssertThrowsError(try ServiceName(validating: hostile)) { error in
            let message = (error as? ServiceNameError)?.message ?? ""
            XCTAssertFalse(message.contains("\u{1b}"))
            XCTAssertFalse(message.contains("\0"))
        }
        XCTAssertEqual(ServiceNameError.tooLong(count: 300).message, "service name of 300 bytes, more than 64")
    }
}
