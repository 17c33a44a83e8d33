import PAMMySQLCore
import XCTest

/// `ssl_auth_plugins` and `login_timeout`: what the server may ask for, and how long a call
/// may wait for the database in all.
final class ConnectionSafetyOptionTests: XCTestCase {
    func parse(_ arguments: [String]) throws(OptionError) -> ModuleOptions {
        var options = ModuleOptions()
        try ModuleArgumentParser.apply(arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) { _, _ in }
        return options
    }

    func testOnlyPluginsThatNeverRevealThePasswordByDefault() {
        XCTAssertEqual(ModuleOptions().sslAuthPlugins, [])
        XCTAssertEqual(AuthenticationPlugin.neverRevealing.map { $0.rawValue }, ["mysql_native_password", "client_ed25519"])
    }

    func testPluginListsParse() throws {
        let vectors: [(String, [AuthenticationPlugin]?)] = [
            ("caching_sha2_password", [.cachingSHA2]),
            ("caching_sha2_password, sha256_password", [.cachingSHA2, .sha256]),
            ("MYSQL_CLEAR_PASSWORD,dialog,dialog", [.clearPassword, .dialog]),
            ("", []),
            ("native_password", nil),  // a part of a name is not a name (Connector/C matches with strstr)
            ("mysql_native_password;dialog", nil),
            ("auth_gssapi_client", nil),
        ]
        for (value, expected) in vectors {
            XCTAssertEqual(AuthenticationPlugin.list(value), expected, value)
        }
    }

    func testUnknownPluginIsAnInvalidValueThatDoesNotEchoIt() {
        XCTAssertThrowsError(try parse(["ssl_auth_plugins=secretish_plugin"])) { error in
            let message = (error as? OptionError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("invalid ssl_auth_plugins value (argument ssl_auth_plugins)"), message)
            XCTAssertFalse(message.contains("secretish"), message)
        }
    }

    func testLoginTimeoutDefaultsToSevenSecondsAndTakesWholeSeconds() throws {
        XCTAssertEqual(ModuleOptions().loginTimeout, 7)
        XCTAssertEqual(try parse(["login_timeout=3"]).loginTimeout, 3)
        for bad in ["login_timeout=0", "login_timeout=3601", "login_timeout=1.5", "login_timeout="] {
            XCTAssertThrowsError(try parse([bad]), bad)
        }
    }
}
