import AuthDaemonCore
import XCTest

final class ListenFDNamesTests: XCTestCase {
    private typealias D = ListenFDNames.Descriptor

    private func parse(pid: String?, fds: String?, names: String?, ours: Int32 = 4242) -> Result<[D], ListenFDNames.Failure> {
        ListenFDNames.parse(listenPID: pid, listenFDs: fds, listenFDNames: names, ourPID: ours)
    }

    func testNamedDescriptorsStartAtThreeInOrder() {
        XCTAssertEqual(
            parse(pid: "4242", fds: "3", names: "dovecot:saslauthd:control"),
            .success([D(fd: 3, name: "dovecot"), D(fd: 4, name: "saslauthd"), D(fd: 5, name: "control")]))
    }

    func testWithoutVariablesNothingIsPassed() {
        XCTAssertEqual(parse(pid: nil, fds: nil, names: nil), .success([]))
        XCTAssertEqual(parse(pid: "4242", fds: nil, names: "dovecot"), .success([]))
        XCTAssertEqual(parse(pid: nil, fds: "1", names: "dovecot"), .success([]))
    }

    func testVariablesMeantForAnotherProcessAreNotTaken() {
        // A child that inherited its parent's LISTEN_* must not serve the parent's sockets.
        XCTAssertEqual(parse(pid: "4241", fds: "2", names: "dovecot:saslauthd"), .success([]))
    }

    func testMissingNamesAreUnknownAsInLibsystemd() {
        XCTAssertEqual(parse(pid: "4242", fds: "2", names: nil), .success([D(fd: 3, name: "unknown"), D(fd: 4, name: "unknown")]))
        XCTAssertEqual(parse(pid: "4242", fds: "2", names: ":dovecot"), .success([D(fd: 3, name: "unknown"), D(fd: 4, name: "dovecot")]))
    }

    func testZeroDescriptorsIsNothing() {
        XCTAssertEqual(parse(pid: "4242", fds: "0", names: ""), .success([]))
    }

    func testMalformedValuesAreRefusedWithTheReason() {
        let cases: [(String?, String?, String?, ListenFDNames.Failure)] = [
            ("abc", "1", nil, .invalidPID("abc")),
            ("-1", "1", nil, .invalidPID("-1")),
            ("4242", "x", nil, .invalidCount("x")),
            ("4242", "-2", nil, .invalidCount("-2")),
            ("4242", "5000", nil, .tooMany(5000)),
            ("4242", "2", "dovecot", .nameCountMismatch(names: 1, descriptors: 2)),
            ("4242", "1", "a:b", .nameCountMismatch(names: 2, descriptors: 1)),
            ("4242", "1", "bad\u{1}name", .invalidName("bad\u{1}name")),
        ]
        for (pid, fds, names, failure) in cases {
            XCTAssertEqual(parse(pid: pid, fds: fds, names: names), .failure(failure), "\(failure)")
        }
    }

    func testErrorTextEscapesTheValue() {
        XCTAssertEqual(
            ListenFDNames.Failure.invalidName("bad\u{1}name").description,
            "LISTEN_FDNAMES has an invalid name: 'bad\\x01name'")
    }

    func testRolesAreMatchedByFileDescriptorName() {
        XCTAssertEqual(ActivatedSocketRole(fileDescriptorName: "dovecot"), .dovecot)
        XCTAssertEqual(ActivatedSocketRole(fileDescriptorName: "saslauthd"), .saslauthd)
        XCTAssertEqual(ActivatedSocketRole(fileDescriptorName: "control"), .control)
        XCTAssertNil(ActivatedSocketRole(fileDescriptorName: "unknown"))
        XCTAssertNil(ActivatedSocketRole(fileDescriptorName: "Dovecot"))
        XCTAssertEqual(ActivatedSocketRole.knownNames, "saslauthd, dovecot, control")
    }
}
