import Glibc
import PAMMySQLCore
import XCTest

final class AccountStatusTests: XCTestCase {
    func outcome(_ status: String?, nullPassword: Bool = false) -> AccountStatus.Verdict {
        AccountStatus.verdict(
            bits: AccountStatus.bits(statusValue: status.map { SecretBytes(Array($0.utf8)) }, passwordIsNull: nullPassword))
    }

    func testStatusBitsAsPamMySQLReadsThem() {
        XCTAssertEqual(outcome("0"), .allowed)
        XCTAssertEqual(outcome("1"), .expired)
        XCTAssertEqual(outcome("2"), .passwordExpired)
        XCTAssertEqual(outcome("2", nullPassword: true), .newPasswordRequired)
        XCTAssertEqual(outcome("3"), .expired)
        XCTAssertEqual(outcome("4"), .allowed)  // bit 2 of the column is ignored
        XCTAssertEqual(outcome(nil), .expired)  // NULL status
        XCTAssertEqual(outcome("abc"), .allowed)  // strtol: no digits is 0
        XCTAssertEqual(outcome("  2xyz"), .passwordExpired)
        XCTAssertEqual(outcome("-1"), .expired)  // every bit set
        XCTAssertEqual(outcome("99999999999999999999999"), .expired)  // clamped to LONG_MAX
    }
}

final class ServerAddressTests: XCTestCase {
    func testHostForms() {
        XCTAssertEqual(ServerAddress(hostOption: nil), .defaultSocket)
        XCTAssertEqual(ServerAddress(hostOption: "/run/mysqld/mysqld.sock"), .socket(path: "/run/mysqld/mysqld.sock"))
        XCTAssertEqual(ServerAddress(hostOption: "127.0.0.1"), .network(host: "127.0.0.1", port: 0))
        XCTAssertEqual(ServerAddress(hostOption: "db.example.com:3307"), .network(host: "db.example.com", port: 3307))
        XCTAssertEqual(ServerAddress(hostOption: "127.0.0.1:13306x"), .network(host: "127.0.0.1", port: 13306))
        XCTAssertEqual(ServerAddress(hostOption: "localhost:3306"), .network(host: "localhost", port: 3306))
        XCTAssertEqual(ServerAddress(hostOption: "host:"), .network(host: "host", port: 0))
        XCTAssertEqual(ServerAddress(hostOption: "::1"), .network(host: "", port: 0))
    }

    func testHostLists() {
        XCTAssertEqual(ServerAddress.list(hostOption: nil), [.defaultSocket])
        XCTAssertEqual(ServerAddress.list(hostOption: "127.0.0.1:13306x"), [.network(host: "127.0.0.1", port: 13306)])
        XCTAssertEqual(ServerAddress.list(hostOption: "/run/mysqld/mysqld.sock"), [.socket(path: "/run/mysqld/mysqld.sock")])
        XCTAssertEqual(
            ServerAddress.list(hostOption: "db1:3307, db2 ,,/run/mysqld/mysqld.sock,localhost"),
            [
                .network(host: "db1", port: 3307), .network(host: "db2", port: 0), .socket(path: "/run/mysqld/mysqld.sock"),
                .network(host: "localhost", port: 0),
            ])
        XCTAssertEqual(ServerAddress.list(hostOption: " , "), [.network(host: " , ", port: 0)])
    }
}

final class TLSOptionTests: XCTestCase {
    func parse(_ arguments: [String]) throws(OptionError) -> ModuleOptions {
        var options = ModuleOptions()
        try ModuleArgumentParser.apply(arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) { _, _ in }
        return options
    }

    func testSSLModeValuesAndDefaults() throws {
        XCTAssertEqual(ModuleOptions().effectiveSSLMode, .disable)
        XCTAssertEqual(try parse(["ssl_mode=enforce"]).effectiveSSLMode, .require)
        XCTAssertEqual(try parse(["ssl_mode=REQUIRED"]).effectiveSSLMode, .require)
        XCTAssertEqual(try parse(["ssl_mode=verify_identity"]).effectiveSSLMode, .verifyIdentity)
        XCTAssertEqual(try parse(["ssl_mode=verify_ca"]).effectiveSSLMode, .verifyCA)
        XCTAssertEqual(try parse(["ssl_mode=preferred"]).effectiveSSLMode, .preferred)
        XCTAssertEqual(try parse(["ssl_ca=/x"]).effectiveSSLMode, .verifyIdentity)
        XCTAssertEqual(try parse(["ssl_cert=/c", "ssl_key=/k"]).effectiveSSLMode, .require)
        XCTAssertEqual(try parse(["ssl_ca=/x", "ssl_mode=disable"]).effectiveSSLMode, .disable)
        XCTAssertThrowsError(try parse(["ssl_mode=maybe"]))
        XCTAssertEqual(try parse(["failover_retry=7"]).failoverRetry, 7)
        XCTAssertEqual(ModuleOptions().failoverRetry, 30)
        XCTAssertThrowsError(try parse(["failover_retry=0"]))
    }
}

final class EncodingTests: XCTestCase {
    func bytes(_ s: SecretBytes?) -> [UInt8]? { s?.withUnsafeBytes { Array($0) } }

    func testBase64RoundTripAndStrictness() {
        for length in 0..<40 {
            let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64.encode(SecretBytes(input))
            XCTAssertEqual(bytes(Base64.decode(encoded)), input)
        }
        XCTAssertEqual(bytes(Base64.encode(SecretBytes(Array("foob".utf8)))), Array("Zm9vYg==".utf8))
        for bad in ["Zm9vYg=", "Zm9v\nYg==", "Zm=vYg==", "Zm9vY!==", "===="] {
            XCTAssertNil(Base64.decode(SecretBytes(Array(bad.utf8))), bad)
        }
    }

    func testConstantTimeEquality() {
        let a = Array("abc".utf8)
        let b = Array("abd".utf8)
        a.withUnsafeBytes { x in
            XCTAssertTrue(ConstantTime.equals(x, x))
            b.withUnsafeBytes { y in XCTAssertFalse(ConstantTime.equals(x, y)) }
            Array("ab".utf8).withUnsafeBytes { y in XCTAssertFalse(ConstantTime.equals(x, y)) }
        }
    }

    func testLogTextEscapesAndTruncates() {
        XCTAssertEqual(LogText.escaped("o'brien\\x\n"), "o'brien\\x5cx\\x0a")
        XCTAssertEqual(LogText.escaped(String(repeating: "a", count: 10), limit: 4), "aaaa...(10 bytes)")
    }

    func testStatusColumnsThatMayChangeTheRowCountAreDetected() {
        var options = ModuleOptions()
        for rowLevel in ["0", "status", "IF(active=1,0,1)", "`count`", "max_age", "CASE WHEN a THEN 1 ELSE 0 END"] {
            options.statColumn = rowLevel
            XCTAssertTrue(SQLStatements.statusColumnIsRowLevel(options), rowLevel)
        }
        for aggregate in ["COUNT(*)", "max (x)", "sum(a)", "(SELECT id FROM users)", "ROW_NUMBER() OVER ()", "group_concat(x)"] {
            options.statColumn = aggregate
            XCTAssertFalse(SQLStatements.statusColumnIsRowLevel(options), aggregate)
        }
    }

    func testSQLStatementsKeepPamMySQLTemplates() {
        var options = ModuleOptions()
        options.table = "mailbox"
        options.userColumn = "username"
        options.passwdColumn = "password"
        XCTAssertEqual(SQLStatements.passwordQuery(options), "SELECT password FROM mailbox WHERE username = ?")
        XCTAssertEqual(SQLStatements.statusQuery(options), "SELECT 0, password FROM mailbox WHERE username = ?")
        options.whereClause = "active=1"
        XCTAssertEqual(SQLStatements.passwordQuery(options), "SELECT password FROM mailbox WHERE username = ? AND (active=1)")
    }
}

final class SystemCallTests: XCTestCase {
    /// EINTR is retried until the call answers; any other errno is thrown, after one call.
    func testRetryingOnInterrupt() throws {
        var calls = 0
        let value = try retryingOnInterrupt { () -> Int in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(calls, 3)

        calls = 0
        XCTAssertThrowsError(
            try retryingOnInterrupt { () -> Int32 in
                calls += 1
                errno = EBADF
                return -1
            }
        ) { error in XCTAssertEqual(error as? SystemCallError, SystemCallError(errno: EBADF)) }
        XCTAssertEqual(calls, 1)
    }
}
