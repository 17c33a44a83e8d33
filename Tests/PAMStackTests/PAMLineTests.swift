import PAMStack
import XCTest

final class PAMLineTests: XCTestCase {
    func testBracketedArgumentKeepsBlanksAndEscapedBracket() {
        let line = PAMLine.parse("auth required pam_mysql.so [where=a = 'x\\]y'] db=mail", number: 3)
        XCTAssertEqual(line?.arguments, ["where=a = 'x]y'", "db=mail"])
        XCTAssertEqual(line?.number, 3)
    }

    func testDashedTypeIsMarkedAsSkippableWhenMissing() {
        let line = PAMLine.parse("-auth sufficient pam_mysql.so db=mail", number: 1)
        XCTAssertEqual(line?.type, "auth")
        XCTAssertEqual(line?.ignoresMissingModule, true)
        XCTAssertEqual(PAMLine.parse("auth sufficient pam_mysql.so", number: 1)?.ignoresMissingModule, false)
    }

    func testIncludeLinesAndContinuationsAreKept() {
        let text = "# comment\n@include common-auth\nauth required \\\n  pam_mysql.so db=mail\n\naccount required pam_permit.so\n"
        let lines = PAMLine.lines(in: text)
        XCTAssertEqual(lines.map(\.type), ["@include", "auth", "account"])
        XCTAssertEqual(lines.map(\.number), [2, 3, 6])
        XCTAssertEqual(lines[0].modulePath, "common-auth")
        XCTAssertEqual(PAMLine.ourLines(in: text).map(\.number), [3])
    }
}
