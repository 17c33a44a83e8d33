import AuthDaemonCore
import XCTest

/// The defences' keys in `[daemon]`: the penalty on by default, the lock off, each value checked.
final class DefenceSettingsTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("authd-defence")
    }

    override func tearDown() {
        directory.remove()
    }

    func load(_ text: String) -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        var commandLine = AuthdCommandLine()
        commandLine.configFile = directory.write("authd.conf", text, mode: 0o640)
        return AuthdConfigurationLoader.load(commandLine)
    }

    func testThePenaltyIsOnAndTheLockOffByDefault() throws {
        let defence = try load("").get().settings.defence
        XCTAssertTrue(defence.penalty)
        XCTAssertEqual(defence.trustedNetworks.networks, [])
        XCTAssertEqual(defence.ipv6Prefix, 64)
        XCTAssertEqual(defence.maximumDelay, .seconds(7))
        XCTAssertEqual(defence.maximumRequestsPerAddress, 8)
        XCTAssertEqual(defence.userLockFailures, 0)
    }

    func testEveryKeyIsRead() throws {
        let defence = try load(
            """
            [daemon]
            penalty = no
            penalty_trusted_networks = 127.0.0.1/32 ::1/128, 192.0.2.0/24
            penalty_ipv6_prefix = 48
            penalty_max_delay = 7.5
            max_requests_per_address = 0
            user_lock_failures = 10
            user_lock_window = 600
            user_lock_time = 1800
            """
        ).get().settings.defence
        XCTAssertFalse(defence.penalty)
        XCTAssertEqual(defence.trustedNetworks.text, "127.0.0.1/32 0:0:0:0:0:0:0:1/128 192.0.2.0/24")
        XCTAssertEqual(defence.ipv6Prefix, 48)
        XCTAssertEqual(defence.maximumDelay, .milliseconds(7500))
        XCTAssertEqual(defence.maximumRequestsPerAddress, 0)
        XCTAssertEqual(defence.userLockFailures, 10)
        XCTAssertEqual(defence.userLockWindow, .seconds(600))
        XCTAssertEqual(defence.userLockTime, .seconds(1800))
    }

    /// (line, the expected value the error names).
    static let refused: [(String, String)] = [
        ("penalty = maybe", "yes or no"),
        ("penalty_trusted_networks = localhost", "IP addresses or prefixes such as 127.0.0.1/32 ::1/128 192.0.2.0/24"),
        ("penalty_trusted_networks = 10.0.0.0/33", "IP addresses or prefixes such as 127.0.0.1/32 ::1/128 192.0.2.0/24"),
        ("penalty_ipv6_prefix = 0", "a prefix length from 1 to 128"),
        ("penalty_ipv6_prefix = 129", "a prefix length from 1 to 128"),
        ("penalty_max_delay = 8", "seconds from 0 to 7.5 (the answer must come within 8 s: Postfix gives up after 10)"),
        ("penalty_max_delay = 15", "seconds from 0 to 7.5 (the answer must come within 8 s: Postfix gives up after 10)"),
        ("max_requests_per_address = -1", "a number from 0 to 100000"),
        ("user_lock_failures = 1001", "a number of failures from 0 to 1000"),
        ("user_lock_window = 0", "seconds from 1 to 604800"),
        ("user_lock_time = 604801", "seconds from 1 to 604800"),
    ]

    func testABadValueIsAnErrorThatSaysWhatWouldDo() {
        for (line, expected) in Self.refused {
            guard case .failure(let errors) = load("[daemon]\n\(line)\n") else {
                XCTFail("accepted: \(line)")
                continue
            }
            XCTAssertEqual(errors.errors.count, 1, line)
            XCTAssertTrue(errors.errors[0].message.contains(expected), "\(line): \(errors.errors[0].message)")
        }
    }
}
