import AuthDaemonCore
import XCTest

final class AuthDaemonCoreTests: XCTestCase {
    func testTargetLinks() {
        XCTAssertEqual(String(describing: AuthDaemonCore.self), "AuthDaemonCore")
    }
}
