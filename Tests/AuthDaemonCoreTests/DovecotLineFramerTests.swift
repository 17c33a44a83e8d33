import AuthDaemonCore
import XCTest

final class DovecotLineFramerTests: XCTestCase {
    func testLinesEndAtLFAndLoseACRBeforeIt() {
        var framer = DovecotLineFramer()
        XCTAssertEqual(
            framer.feed(Array("VERSION\t1\t0\r\nCPID\t42\nAU".utf8)), [.line(Array("VERSION\t1\t0".utf8)), .line(Array("CPID\t42".utf8))])
        XCTAssertEqual(framer.bufferedCount, 2)
        XCTAssertEqual(framer.feed(Array("TH\n\n".utf8)), [.line(Array("AUTH".utf8)), .line([])])
        XCTAssertEqual(framer.bufferedCount, 0)
    }

    func testACROnlyBeforeLFIsDropped() {
        var framer = DovecotLineFramer()
        XCTAssertEqual(framer.feed(Array("a\rb\r\r\n".utf8)), [.line(Array("a\rb\r".utf8))])
    }

    func testByteByByteFeedingGivesTheSameLines() {
        var framer = DovecotLineFramer()
        var events: [DovecotLineFramer.Event] = []
        for byte in Array("one\r\ntwo\nthree".utf8) { events += framer.feed([byte]) }
        XCTAssertEqual(events, [.line(Array("one".utf8)), .line(Array("two".utf8))])
    }

    func testALineOfExactlyTheLimitPassesWithOrWithoutCR() {
        var framer = DovecotLineFramer(maximumLineLength: 8)
        XCTAssertEqual(framer.feed(Array("12345678\n12345678\r\n".utf8)), [.line(Array("12345678".utf8)), .line(Array("12345678".utf8))])
    }

    func testALineOverTheLimitStopsTheFramer() {
        var framer = DovecotLineFramer(maximumLineLength: 8)
        XCTAssertEqual(framer.feed(Array("ok\n123456789\nnext\n".utf8)), [.line(Array("ok".utf8)), .lineTooLong])
        XCTAssertTrue(framer.failed)
        XCTAssertEqual(framer.feed(Array("more\n".utf8)), [])
    }

    /// A client that never sends LF is cut off at the limit, not buffered without end.
    func testAPartialLineOverTheLimitIsTooLongBeforeItsLF() {
        var framer = DovecotLineFramer()
        let events = framer.feed([UInt8](repeating: 0x41, count: DovecotSessionConfiguration.dovecotMaximumLineLength + 2))
        XCTAssertEqual(events, [.lineTooLong])
        XCTAssertEqual(framer.bufferedCount, 0)
    }

    func testTheDefaultLimitIsDovecots() {
        XCTAssertEqual(DovecotLineFramer().maximumLineLength, 16384)
    }
}
