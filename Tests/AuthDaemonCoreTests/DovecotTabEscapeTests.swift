import AuthDaemonCore
import XCTest

final class DovecotTabEscapeTests: XCTestCase {
    /// `str_append_tabescaped` in Dovecot's src/lib/strescape.c.
    func testEscapesTheFiveBytesWithTheEscapeByte() {
        XCTAssertEqual(
            DovecotTabEscape.escaped([0x00, 0x01, 0x09, 0x0d, 0x0a, 0x41]),
            [0x01, 0x30, 0x01, 0x31, 0x01, 0x74, 0x01, 0x72, 0x01, 0x6e, 0x41])
        XCTAssertEqual(DovecotTabEscape.escaped(Array("plain text".utf8)), Array("plain text".utf8))
    }

    func testUnescapingReversesEscaping() {
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(DovecotTabEscape.unescaped(DovecotTabEscape.escaped(all)), all)
    }

    /// `str_tabunescape`: an unknown escape yields the byte after it, a trailing escape is dropped.
    func testUnescapingIsLenientAsDovecots() {
        XCTAssertEqual(DovecotTabEscape.unescaped([0x01, 0x73, 0x6d]), [0x73, 0x6d])
        XCTAssertEqual(DovecotTabEscape.unescaped([0x61, 0x01]), [0x61])
        XCTAssertEqual(DovecotTabEscape.unescaped([0x01, 0x01, 0x31]), [0x01, 0x31])
    }
}
