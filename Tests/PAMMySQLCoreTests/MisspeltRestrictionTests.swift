import PAMMySQLCore
import XCTest

/// An unknown name close to an option whose loss removes a restriction fails closed; other
/// unknown names are logged and ignored, as before.
final class MisspeltRestrictionTests: XCTestCase {
    /// (unknown name on the module line, the restriction it is taken for)
    static let lineNearMisses: [(String, String)] = [
        ("wehre", "where"), ("wher", "where"), ("Where", "where"), ("whereclause", "where_clause"),
        ("where_clause", "where_clause"), ("users.where_clause", "users.where_clause"),
        ("statcolum", "statcolumn"), ("statuscolumn", "status_column"), ("status_column", "status_column"),
        ("Crypt", "crypt"), ("cyrpt", "crypt"), ("crypto", "crypt"), ("password_crypt", "password_crypt"),
        ("configfile", "config_file"), ("config-file", "config_file"), ("conf_file", "config_file"),
        ("ssl-mode", "ssl_mode"), ("sslmode", "ssl_mode"), ("ssl_crt", "ssl_cert"),
        ("ssl_keys", "ssl_key"), ("ssl_ciphers", "ssl_cipher"), ("querry", "query"),
    ]

    /// (unknown key in the config file, the restriction it is taken for)
    static let fileNearMisses: [(String, String)] = [
        ("users.where_clase", "users.where_clause"), ("users.whereclause", "users.where_clause"),
        ("users.status_colum", "users.status_column"), ("users.statcolumn", "statcolumn"),
        ("users.password_cyrpt", "users.password_crypt"), ("users.passwd_crypt", "users.password_crypt"),
        ("users.crypt", "crypt"), ("crypt", "crypt"), ("where", "where"), ("config_file", "config_file"),
        ("users.ssl-mode", "users.ssl_mode"), ("users.sslmode", "users.ssl_mode"), ("users.ssl_certs", "users.ssl_cert"),
        ("users.querys", "users.query"),
    ]

    /// Unknown names that restrict nothing: still only logged (`unknown option: <name>`).
    static let harmless = [
        "port", "password", "verbos", "vrebose", "Table", "socket", "timeout", "charset", "audit", "quiet",
        "use_authtok", "md5crypt", "user_column", "status", "sha512", "users.port", "users.db_password", "log.tabel",
    ]

    func parse(_ arguments: [String]) throws(OptionError) -> [String] {
        var options = ModuleOptions()
        var logged: [String] = []
        try ModuleArgumentParser.apply(arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) { logged.append($1) }
        return logged
    }

    func applyFile(_ text: String) throws(OptionError) -> [String] {
        var options = ModuleOptions()
        var logged: [String] = []
        try ModuleConfiguration.apply(ConfigFile(parsing: SecretBytes(Array(text.utf8))), to: &options, path: "/etc/pam-mysql.conf") {
            logged.append($1)
        }
        return logged
    }

    func testNearMissOnTheModuleLineFailsClosed() {
        for (name, meant) in Self.lineNearMisses {
            XCTAssertThrowsError(try parse(["user=postfix", "\(name)=x"]), name) { error in
                XCTAssertEqual(error as? OptionError, .misspeltRestriction(name: name, closeTo: meant, origin: "on the module line"), name)
                XCTAssertEqual(
                    (error as? OptionError)?.message,
                    "unknown option \(name) on the module line: too close to \(meant) to ignore (a misspelt restriction fails closed)")
            }
        }
    }

    func testNearMissInTheConfigFileFailsClosed() {
        for (key, meant) in Self.fileNearMisses {
            XCTAssertThrowsError(try applyFile("users.table = mailbox\n\(key) = x\n"), key) { error in
                XCTAssertEqual(
                    error as? OptionError, .misspeltRestriction(name: key, closeTo: meant, origin: "on line 2 of /etc/pam-mysql.conf"), key)
                XCTAssertEqual(
                    (error as? OptionError)?.message,
                    "unknown option \(key) on line 2 of /etc/pam-mysql.conf: too close to \(meant) to ignore (a misspelt restriction fails closed)"
                )
            }
        }
    }

    func testOtherUnknownNamesAreOnlyLogged() throws {
        for name in Self.harmless {
            XCTAssertEqual(try parse(["\(name)=x"]), ["unknown option: \(name)"], name)
            XCTAssertEqual(try applyFile("\(name) = x\n"), ["unknown option \(name) on line 1 of /etc/pam-mysql.conf"], name)
        }
    }

    /// The name shown is the safe form: a near miss carrying more than a name is withheld.
    func testNearMissWithANonNameIsWithheld() {
        XCTAssertThrowsError(try parse(["wh:re=x"])) { error in
            XCTAssertEqual(
                error as? OptionError,
                .misspeltRestriction(name: "(name withheld: not an option name)", closeTo: "where", origin: "on the module line"))
        }
    }

    func testEditDistanceCountsASwapOnce() {
        XCTAssertEqual(MisspeltRestriction.closeMatch(to: Array("wehre".utf8)), "where")
        XCTAssertEqual(MisspeltRestriction.closeMatch(to: Array("whr".utf8)), "where")
        XCTAssertNil(MisspeltRestriction.closeMatch(to: Array("wr".utf8)))
        XCTAssertNil(MisspeltRestriction.closeMatch(to: Array(String(repeating: "where", count: 20).utf8)))
    }
}
