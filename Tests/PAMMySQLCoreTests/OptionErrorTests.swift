import PAMMySQLCore
import XCTest

/// No option-parse error quotes the value it refused: the value may be the database password
/// (`crypt=<password>` pasted into the wrong option) or part of a line that holds it.
final class OptionErrorTests: XCTestCase {
    static let marker = "Zq9secretW"

    /// A refused value for every option that checks its value, with the marker inside.
    static var refusedValues: [(OptionSpec, String)] {
        OptionTable.all.compactMap { spec in
            switch spec.kind {
            case .crypt, .cryptMethod, .dovecotScheme, .sslMode, .seconds, .cacheSeconds, .authPlugins, .decoyHash: (spec, marker)
            case .query: (spec, "SELECT pw FROM t WHERE u = '%{\(marker)}' OR u = '%\(marker)'")
            case .text, .secret, .flag: nil
            }
        }
    }

    func testInvalidValuesAreNeverEchoed() {
        XCTAssertGreaterThanOrEqual(Self.refusedValues.count, 9)
        for (spec, value) in Self.refusedValues {
            if let name = spec.argumentName {
                var options = ModuleOptions()
                XCTAssertThrowsError(
                    try ModuleArgumentParser.apply([SecretBytes(Array("\(name)=\(value)".utf8))], to: &options) { _, _ in }, name
                ) { error in
                    let message = (error as? OptionError)?.message ?? "\(error)"
                    XCTAssertFalse(message.contains(Self.marker), message)
                    XCTAssertTrue(message.contains("(argument \(name))"), message)
                }
            }
            if let key = spec.configKey {
                var options = ModuleOptions()
                let file = ConfigFile(parsing: SecretBytes(Array("\(key) = \(value)\n".utf8)))
                XCTAssertThrowsError(try ModuleConfiguration.apply(file, to: &options, path: "/etc/pam-mysql.conf") { _, _ in }, key) {
                    error in
                    let message = (error as? OptionError)?.message ?? "\(error)"
                    XCTAssertFalse(message.contains(Self.marker), message)
                    XCTAssertTrue(message.contains("(line 1 of /etc/pam-mysql.conf)"), message)
                }
            }
        }
    }
}
