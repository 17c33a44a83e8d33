import PAMMySQLCore
import XCTest

/// The config file grammar of pam_mysql 0.8.2's `config_file` (NSS-MySQL style, checked against
/// Debian's libpam-mysql 0.8.2) and how the file overrides the arguments.
final class ConfigFileTests: XCTestCase {
    func parse(_ text: String) -> ConfigFile {
        ConfigFile(parsing: SecretBytes(Array(text.utf8)))
    }

    func pairs(_ file: ConfigFile) -> [String] {
        file.entries.map { entry in "\(entry.key)=\(entry.value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })" }
    }

    func testKeysValuesAndBlanks() {
        let file = parse("users.host = localhost\n\tusers.table\t=\tmailbox\nusers.database=postfix\n")
        XCTAssertEqual(pairs(file), ["users.host=localhost", "users.table=mailbox", "users.database=postfix"])
        XCTAssertNil(file.syntaxError)
    }

    func testTrailingWhitespaceIsKeptAndValuesAreLiteral() {
        let file = parse("users.password_column = password   \nusers.where_clause = a = 'b c' # x\n")
        XCTAssertEqual(pairs(file), ["users.password_column=password   ", "users.where_clause=a = 'b c' # x"])
    }

    func testLineEndings() {
        XCTAssertEqual(pairs(parse("a = 1\r\nb = 2\rc = 3\n")), ["a=1", "b=2", "c=3"])
    }

    func testEmptyValue() {
        XCTAssertEqual(pairs(parse("users.where_clause =\n")), ["users.where_clause="])
    }

    func testCommentsOnlyInTheFirstColumn() {
        let file = parse("# comment\na = 1\n  # indented\nb = 2\n")
        XCTAssertEqual(pairs(file), ["a=1"])
        XCTAssertEqual(file.syntaxError?.line, 3)
    }

    func testSemicolonEndsTheValueAndOnlyALineEndMayFollow() {
        XCTAssertEqual(pairs(parse("a = 1;\nb = 2 ;  \n")), ["a=1", "b=2 "])
        let file = parse("a = b ; c = d\ne = f\n")
        XCTAssertEqual(pairs(file), ["a=b "])
        XCTAssertEqual(file.syntaxError?.line, 1)
    }

    func testLastLineWithoutNewlineCounts() {
        // Deliberate difference: pam_mysql silently dropped this line.
        XCTAssertEqual(pairs(parse("a = 1\nusers.password_crypt = 3")), ["a=1", "users.password_crypt=3"])
    }

    func testMissingEqualsIsASyntaxError() {
        let file = parse("a = 1\nnonsense\nb = 2\n")
        XCTAssertEqual(pairs(file), ["a=1"])
        XCTAssertEqual(file.syntaxError?.line, 2)
    }

    func testBinaryJunkDoesNotTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let junk = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = ConfigFile(parsing: SecretBytes(junk))
        }
    }

    func apply(_ text: String, to options: ModuleOptions = ModuleOptions()) throws(OptionError) -> (ModuleOptions, [(LogPriority, String)])
    {
        var options = options
        var logged: [(LogPriority, String)] = []
        try ModuleConfiguration.apply(parse(text), to: &options, path: "/etc/pam-mysql.conf") { logged.append(($0, $1)) }
        return (options, logged)
    }

    func testFileOverridesArguments() throws {
        var arguments = ModuleOptions()
        arguments.crypt = .plain
        arguments.table = "fromargs"
        let (options, _) = try apply("users.password_crypt = 3\nusers.db_user = postfix\n", to: arguments)
        XCTAssertEqual(options.crypt, .md5)
        XCTAssertEqual(options.user, "postfix")
        XCTAssertEqual(options.table, "fromargs")
    }

    func testEveryConfigKeyOfPamMySQL() throws {
        let text = """
            users.host = /run/mysqld/mysqld.sock
            users.database = mail
            users.db_user = postfix
            users.db_passwd = s3cret
            users.table = mailbox
            users.update_table = mailbox2
            users.user_column = username
            users.password_column = password
            users.status_column = status
            users.password_crypt = sha256
            users.use_md5 = 0
            users.use_323_password = 1
            users.where_clause = active=1
            users.disconnect_every_operation = 1
            log.enabled = 1
            log.table = log
            log.message_column = msg
            log.user_column = user
            log.pid_column = pid
            log.host_column = host
            log.rhost_column = rhost
            log.time_column = logtime
            nullok = 1
            verbose = 0

            """
        let (o, logged) = try apply(text)
        XCTAssertEqual(logged.count, 0, "\(logged)")
        XCTAssertEqual(o.host, "/run/mysqld/mysqld.sock")
        XCTAssertEqual(o.db, "mail")
        XCTAssertEqual(o.user, "postfix")
        XCTAssertNotNil(o.passwd)
        XCTAssertEqual(o.table, "mailbox")
        XCTAssertEqual(o.updateTable, "mailbox2")
        XCTAssertEqual(o.userColumn, "username")
        XCTAssertEqual(o.passwdColumn, "password")
        XCTAssertEqual(o.statColumn, "status")
        XCTAssertEqual(o.crypt, .sha256)
        XCTAssertFalse(o.md5)
        XCTAssertTrue(o.use323Passwd)
        XCTAssertEqual(o.whereClause, "active=1")
        XCTAssertTrue(o.disconnectEveryOperation)
        XCTAssertTrue(o.sqlLog)
        XCTAssertEqual(
            [o.logTable, o.logMessageColumn, o.logUserColumn, o.logPIDColumn, o.logHostColumn, o.logRHostColumn, o.logTimeColumn],
            ["log", "msg", "user", "pid", "host", "rhost", "logtime"])
        XCTAssertTrue(o.nullOK)
    }

    func testArgumentOnlyOptionsAreUnknownInTheFile() throws {
        // `config_file = /x` used to be one more of these; it now fails closed (an include the
        // module cannot do loses the included restrictions): see MisspeltRestrictionTests.
        let (options, logged) = try apply("use_first_pass = 1\ndebug = 1\n\"users.table\" = x\n")
        XCTAssertFalse(options.useFirstPass)
        XCTAssertFalse(options.verbose)
        XCTAssertEqual(logged.map(\.0), [.err, .err, .err])
        XCTAssertEqual(logged.first?.1, "unknown option use_first_pass on line 1 of /etc/pam-mysql.conf")
        XCTAssertEqual(
            logged.map(\.1),
            [
                "unknown option use_first_pass on line 1 of /etc/pam-mysql.conf",
                "unknown option debug on line 2 of /etc/pam-mysql.conf",
                "unknown option (name withheld: not an option name) on line 3 of /etc/pam-mysql.conf",
            ])
    }

    func testInvalidCryptInTheFileFailsClosed() {
        // pam_mysql silently switched to plain text here, making the stored hash the password.
        for bad in ["users.password_crypt = 3 # md5\n", "users.password_crypt =\n", "users.password_crypt = 11\n"] {
            XCTAssertThrowsError(try apply(bad), bad) { error in
                XCTAssertEqual(error as? OptionError, .invalidCrypt(origin: "line 1 of /etc/pam-mysql.conf"))
            }
        }
    }

    func testVerboseAffectsOnlyLaterLinesAndHidesThePassword() throws {
        let (_, logged) = try apply("users.table = a\nverbose = 1\nusers.db_passwd = s3cret\nusers.db_user = postfix\n")
        XCTAssertEqual(
            logged.map(\.1),
            [
                "option verbose is set to \"1\"",
                "option users.db_passwd is set (value not logged)",
                "option users.db_user is set to \"postfix\"",
            ])
    }

    /// Was: the entries before the error applied and the rest was dropped (pam_mysql's
    /// behaviour, which lost `users.password_crypt = 1` after an indented comment and turned
    /// the stored hash into the password). Now no entry applies and nothing is logged but the
    /// thrown error, which names line and column, never the line's text.
    func testSyntaxErrorAnywhereAppliesNoEntry() {
        let vectors: [(text: String, line: Int, message: String)] = [
            (
                "users.table = a\n  # indented\nusers.password_crypt = 1\n", 2,
                "syntax error on line 2 of /etc/pam-mysql.conf: unexpected character at column 5 after key, expected \"=\"; none of the file is used"
            ),
            (
                "users.password_crypt = 1\nusers.where_clause = active = 1\n  # note\n", 3,
                "syntax error on line 3 of /etc/pam-mysql.conf: unexpected character at column 5 after key, expected \"=\"; none of the file is used"
            ),
            (
                "users.db_passwd s3cret\n", 1,
                "syntax error on line 1 of /etc/pam-mysql.conf: unexpected character at column 17 after key, expected \"=\"; none of the file is used"
            ),
            (
                "users.table = users ; users.db_passwd = s3cret\n", 1,
                "syntax error on line 1 of /etc/pam-mysql.conf: unexpected character at column 23 after \";\"; none of the file is used"
            ),
        ]
        for vector in vectors {
            var options = ModuleOptions()
            options.table = "before"
            var logged: [String] = []
            XCTAssertThrowsError(
                try ModuleConfiguration.apply(parse(vector.text), to: &options, path: "/etc/pam-mysql.conf") { logged.append($1) }
            ) { error in
                XCTAssertEqual((error as? OptionError)?.message, vector.message)
                guard case .configFileSyntax(_, let syntax)? = error as? OptionError else { return XCTFail("\(error)") }
                XCTAssertEqual(syntax.line, vector.line)
            }
            XCTAssertEqual(options.table, "before", vector.text)
            XCTAssertEqual(options.crypt, .plain, vector.text)
            XCTAssertNil(options.whereClause, vector.text)
            XCTAssertEqual(logged, [], vector.text)
        }
    }

    /// An invalid value on a later line: nothing of the file applies, and the unknown key on
    /// an earlier line is not logged (the caller logs the one error line).
    func testInvalidValueLeavesOptionsUnchangedAndLogsNothing() {
        var options = ModuleOptions()
        var logged: [String] = []
        XCTAssertThrowsError(
            try ModuleConfiguration.apply(
                parse("users.foo = 1\nusers.where_clause = active = 1\nusers.connect_timeout = soon\n"), to: &options,
                path: "/etc/pam-mysql.conf"
            ) { logged.append($1) })
        XCTAssertNil(options.whereClause)
        XCTAssertEqual(logged, [])
    }
}
