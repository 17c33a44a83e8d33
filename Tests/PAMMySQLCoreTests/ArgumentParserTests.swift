import PAMMySQLCore
import XCTest

/// How each argument of a pam.d line is read, as pam_mysql 0.8.2's `pam_mysql_parse_args()` reads it
/// (checked against Debian's libpam-mysql 0.8.2), and how options stay set across lines.
final class ArgumentParserTests: XCTestCase {
    var logged: [(LogPriority, String)] = []

    func parse(_ arguments: [String], into options: ModuleOptions = ModuleOptions()) throws(OptionError) -> ModuleOptions {
        var options = options
        try ModuleArgumentParser.apply(arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) { self.logged.append(($0, $1)) }
        return options
    }

    func testDefaultsMatchPamMySQL() {
        let options = ModuleOptions()
        XCTAssertEqual(options.crypt, .plain)
        XCTAssertEqual(options.statColumn, "0")
        XCTAssertTrue(options.tryFirstPass)
        XCTAssertTrue(options.md5)
        XCTAssertFalse(options.useFirstPass)
        XCTAssertFalse(options.verbose)
        XCTAssertFalse(options.nullOK)
        XCTAssertFalse(options.sqlLog)
        XCTAssertNil(options.user)
        XCTAssertNil(options.host)
    }

    func testValueRunsFromTheFirstEquals() throws {
        let options = try parse(["where=active=1", "table=a=b"])
        XCTAssertEqual(options.whereClause, "active=1")
        XCTAssertEqual(options.table, "a=b")
    }

    func testBareFlagsAreTrue() throws {
        let options = try parse(["use_first_pass", "verbose", "nullok"])
        XCTAssertTrue(options.useFirstPass)
        XCTAssertTrue(options.verbose)
        XCTAssertTrue(options.nullOK)
    }

    func testBooleanTruthinessRule() throws {
        for falseValue in ["0", "n", "N", "no", "NO", "false", "False"] {
            XCTAssertFalse(try parse(["verbose=\(falseValue)"]).verbose, falseValue)
        }
        for trueValue in ["", "1", "yes", "true", "off", "disable", "00", " 0"] {
            XCTAssertTrue(try parse(["verbose=\(trueValue)"]).verbose, trueValue)
        }
    }

    func testDebugIsAnAliasOfVerbose() throws {
        XCTAssertTrue(try parse(["debug"]).verbose)
    }

    func testOptionNamesAreCaseSensitiveAndUnknownOnesAreLoggedAsErrors() throws {
        // Was `Crypt=3`: an ignored near miss of crypt, which now fails closed
        // (MisspeltRestrictionTests); `Table` loses nothing that restricts logins.
        let options = try parse(["Table=x", "password=x"])
        XCTAssertNil(options.table)
        XCTAssertNil(options.passwd)
        XCTAssertEqual(logged.map(\.0), [.err, .err])
        XCTAssertEqual(logged.map(\.1), ["unknown option: Table", "unknown option: password"])
    }

    func testCryptAcceptsDigitsAndNames() throws {
        // crypt=dovecot has a name only: pam_mysql's digits stop at 9 (see testInvalidCryptIsAnError).
        for mode in CryptMode.allCases where mode != .dovecot {
            XCTAssertEqual(try parse(["crypt=\(mode.rawValue)"]).crypt, mode)
        }
        for mode in CryptMode.allCases {
            XCTAssertEqual(try parse(["crypt=\(mode.name)"]).crypt, mode)
            XCTAssertEqual(try parse(["crypt=\(mode.name.uppercased())"]).crypt, mode)
        }
        XCTAssertEqual(try parse(["crypt=y"]).crypt, .crypt)
    }

    func testInvalidCryptIsAnError() {
        // A bare `crypt` was one of these; it is now a missing value (testValueOptionWithoutEquals…).
        for bad in ["crypt=10", "crypt=03", "crypt= 0", "crypt=", "crypt=bcrypt"] {
            XCTAssertThrowsError(try parse([bad]), bad) { error in
                XCTAssertEqual(error as? OptionError, .invalidCrypt(origin: "argument crypt"))
            }
        }
    }

    /// `passwd secret` reaches the module as `passwd` and `secret`. pam_mysql set an empty
    /// password and logged (with verbose) `unknown option: secret`, the password itself.
    func testValueOptionWithoutEqualsFailsAndNeverNamesTheNextWord() {
        let vectors: [(arguments: [String], option: String)] = [
            (["user=postfix", "passwd", "db-Secret-9f3k", "db=mail"], "passwd"),
            (["verbose", "passwd", "db-Secret-9f3k"], "passwd"),
            (["crypt"], "crypt"),
            (["where", "active=1"], "where"),
            (["config_file", "/etc/pam-mysql.conf"], "config_file"),
            (["connect_timeout"], "connect_timeout"),
            (["ssl_mode", "verify_identity"], "ssl_mode"),
        ]
        for vector in vectors {
            logged = []
            var options = ModuleOptions()
            XCTAssertThrowsError(
                try ModuleArgumentParser.apply(vector.arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) {
                    self.logged.append(($0, $1))
                },
                "\(vector.arguments)"
            ) { error in
                XCTAssertEqual(error as? OptionError, .missingValue(option: vector.option))
                XCTAssertEqual((error as? OptionError)?.message, "option \(vector.option) needs a value (\(vector.option)=...)")
            }
            XCTAssertTrue(logged.isEmpty, "\(logged)")
            XCTAssertNil(options.user, "all or nothing: \(vector.arguments)")
        }
        // Flags stay bare, and an explicit empty value stays an empty value (pam_mysql's `passwd=`).
        XCTAssertNoThrow(try parse(["use_first_pass", "nullok", "debug", "passwd="]))
    }

    /// `passwd= secret`: the blank after `=` leaves passwd empty and makes the password an
    /// "unknown option" of its own, which pam_mysql logged (with verbose) by name.
    func testWordAfterAnEmptyValueIsNeverNamed() throws {
        _ = try parse(["verbose", "passwd=", "db-Secret-9f3k", "user=postfix"])
        XCTAssertFalse(logged.contains { $0.1.contains("Secret") }, "\(logged)")
        XCTAssertEqual(
            logged.filter { $0.0 == .err }.map(\.1),
            [
                "unknown option after passwd= not shown: it may be the value, cut off by a blank (write passwd=VALUE)"
            ])
        // Every line, exactly: an extra one (say, one naming the word) fails.
        XCTAssertEqual(logged.map(\.0), [.info, .info, .err, .info])
        XCTAssertEqual(
            logged.map(\.1),
            [
                "option verbose is set to \"\"", "option passwd is set (value not logged)",
                "unknown option after passwd= not shown: it may be the value, cut off by a blank (write passwd=VALUE)",
                "option user is set to \"postfix\"",
            ])
        logged = []
        _ = try parse(["passwd=", "user=postfix", "port=3306"])  // an empty password, then known names: as before
        XCTAssertEqual(logged.map(\.1), ["unknown option: port"])
        XCTAssertThrowsError(try parse(["where=", "wehre=1"])) { error in
            XCTAssertEqual(
                error as? OptionError,
                .misspeltRestriction(name: "(name withheld: it follows an empty where=)", closeTo: "where", origin: "on the module line"))
        }
    }

    func testRefusedLineLeavesTheHandlesOptionsAsTheyWere() throws {
        let first = try parse(["user=postfix", "db=mail", "crypt=1", "where=active=1"])
        var options = first
        XCTAssertThrowsError(
            try ModuleArgumentParser.apply(
                ["crypt=3", "where=1=1", "connect_timeout=never"].map { SecretBytes(Array($0.utf8)) }, to: &options
            ) { _, _ in })
        XCTAssertEqual(options.crypt, .crypt)
        XCTAssertEqual(options.whereClause, "active=1")
    }

    func testLastRepeatedOptionWins() throws {
        XCTAssertEqual(try parse(["table=a", "table=b"]).table, "b")
    }

    func testBracketedArgumentsArriveWithSpaces() throws {
        // libpam removes the brackets; the module sees one argument with spaces.
        let options = try parse(["where=domain=\"example.com\" AND active=1"])
        XCTAssertEqual(options.whereClause, "domain=\"example.com\" AND active=1")
    }

    func testOptionsPersistAcrossLinesOfOneHandle() throws {
        let first = try parse(["user=postfix", "db=mail", "crypt=3", "passwdcolumn=pw"])
        let second = try parse(["statcolumn=stat"], into: first)
        XCTAssertEqual(second.user, "postfix")
        XCTAssertEqual(second.crypt, .md5)
        XCTAssertEqual(second.passwdColumn, "pw")
        XCTAssertEqual(second.statColumn, "stat")
    }

    func testVerboseNeverEchoesTheDatabasePassword() throws {
        let options = try parse(["verbose", "passwd=db-Secret-9f3k", "user=postfix"])
        options.passwd!.withUnsafeBytes { XCTAssertEqual(Array($0), Array("db-Secret-9f3k".utf8)) }
        XCTAssertFalse(logged.contains { $0.1.contains("db-Secret") })
        XCTAssertTrue(logged.contains { $0.1 == "option passwd is set (value not logged)" })
        XCTAssertTrue(logged.contains { $0.1 == "option user is set to \"postfix\"" })
        XCTAssertEqual(logged.map(\.0), [.info, .info, .info])
        XCTAssertEqual(
            logged.map(\.1),
            [
                "option verbose is set to \"\"", "option passwd is set (value not logged)", "option user is set to \"postfix\"",
            ])
    }

    func testTimeoutsAreBoundedWholeSeconds() throws {
        XCTAssertEqual(try parse(["connect_timeout=2"]).connectTimeout, 2)
        XCTAssertEqual(ModuleOptions().readTimeout, 5)
        for bad in ["connect_timeout=0", "read_timeout=-1", "write_timeout=3601", "connect_timeout=", "connect_timeout=1.5"] {
            XCTAssertThrowsError(try parse([bad]), bad)
        }
    }

    func testVerifyCacheIsOffByDefaultAndTakesZeroToADay() throws {
        XCTAssertEqual(ModuleOptions().verifyCacheSeconds, 0)
        XCTAssertEqual(try parse(["verify_cache=0"]).verifyCacheSeconds, 0)
        XCTAssertEqual(try parse(["verify_cache=300"]).verifyCacheSeconds, 300)
        XCTAssertEqual(try parse(["verify_cache=86400"]).verifyCacheSeconds, 86_400)
        for bad in ["verify_cache=86401", "verify_cache=-1", "verify_cache=", "verify_cache=1.5", "verify_cache=yes", "verify_cache"] {
            XCTAssertThrowsError(try parse([bad]), bad)
        }
    }

    func testControlCharactersInValuesAreEscapedInTraces() throws {
        _ = try parse(["verbose", "table=a\nb\u{1b}"])
        XCTAssertTrue(logged.contains { $0.1 == "option table is set to \"a\\x0ab\\x1b\"" })
        XCTAssertEqual(logged.map(\.0), [.info, .info])
        XCTAssertEqual(logged.map(\.1), ["option verbose is set to \"\"", "option table is set to \"a\\x0ab\\x1b\""])
    }

    func testWordAfterASecretValueIsNeverNamed() throws {
        // `passwd=my secret` without brackets: libpam hands over `passwd=my` and `secret`.
        logged = []
        let options = try parse(["passwd=my", "secret", "verbose"])
        XCTAssertEqual(options.passwd?.withUnsafeBytes { Array($0) }, Array("my".utf8))
        XCTAssertFalse(logged.contains { $0.1.contains("secret") }, "\(logged)")
        XCTAssertTrue(logged.contains { $0.1.hasPrefix("unknown option after passwd= not shown") }, "\(logged)")
    }
}

final class UnknownOptionLogTests: XCTestCase {
    /// A mistyped `passwd:secret` (no `=`) is an unknown option; its name must not carry the
    /// password into the log.
    func testUnknownOptionNamesThatAreNotNamesAreWithheld() throws {
        var options = ModuleOptions()
        var logged: [String] = []
        try ModuleArgumentParser.apply([SecretBytes(Array("passwd:db-Secret-9f3k".utf8))], to: &options) { logged.append($1) }
        try ModuleConfiguration.apply(ConfigFile(parsing: SecretBytes(Array("passwd:db-Secret-9f3k = x\n".utf8))), to: &options, path: "/f")
        {
            logged.append($1)
        }
        XCTAssertEqual(logged.count, 2)
        XCTAssertFalse(logged.contains { $0.contains("Secret") }, "\(logged)")
        XCTAssertTrue(logged.allSatisfy { $0.contains("withheld") }, "\(logged)")
    }

}
