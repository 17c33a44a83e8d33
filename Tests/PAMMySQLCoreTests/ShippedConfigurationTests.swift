import PAMMySQLCore
import XCTest

/// The configurations people already have must survive the fail-closed rules: Debian's shipped
/// /etc/pam-mysql.conf, ours (packaging/, pam.d-examples/), and the pam.d lines of
/// pam_mysql 0.8.2's documentation, the README and pam.d-examples/.
final class ShippedConfigurationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// libpam-mysql 0.8.2-2+deb12u1's /etc/pam-mysql.conf, byte for byte (tabs included).
    static let debianFile = """
        # Sample configuration file for pam-mysql

        users.host \t\t= localhost
        users.database \t\t= mysql
        users.db_user \t\t= root
        users.db_passwd\t\t= YOUDIDN'TSETONEDIDYOU?
        #users.where_clause \t= (host)
        users.table \t\t= user
        #users.update_table \t= (update_table)
        users.user_column \t= User
        users.password_column \t= Password
        #users.status_column \t= (statcolumn)
        users.password_crypt \t= 2
        #users.use_323_password\t= (use_323_passwd)
        #users.use_md5 \t\t= yes
        #users.where_clause \t= (where)
        #users.disconnect_every_operation\t= (disconnect_every_op) *1
        #verbose \t\t= (verbose)
        #log.enabled \t\t= (sqllog)
        #log.table \t\t= (logtable)
        #log.message_column \t= (logmsgcolumn)
        #log.pid_column \t= (logpidcolumn)
        #log.user_column \t= (logusercolumn)
        #log.host_column \t= (loghostcolumn)
        #log.rhost_column \t= (logrhostcolumn) *2
        #log.time_column \t= (logtimecolumn)

        """

    /// pam.d lines from pam_mysql 0.8.2's README, its issue tracker's reports and our README.
    static let documentedLines: [[String]] = [
        [
            "user=postfix", "passwd=x", "host=127.0.0.1", "db=postfix", "table=mailbox", "usercolumn=username", "passwdcolumn=password",
            "crypt=3",
        ],
        [
            "user=postfix", "passwd=x", "host=127.0.0.1", "db=postfix", "table=mailbox", "usercolumn=username", "passwdcolumn=password",
            "crypt=1", "md5=1",
        ],
        ["verbose=true", "user=postfix", "db=postfix", "crypt=3"],
        ["where=domain=\"example.com\" AND active=1"], ["where=username NOT IN ('x]') "],
        ["usercolumn=CONCAT(username,'@',domain)"], ["passwdcolumn=IF(active=1, pw, NULL)"],
        ["statcolumn=stat"], ["table=nosuchtable"], ["use_first_pass"], ["try_first_pass"], ["nullok"], ["debug"],
        [
            "host=127.0.0.1", "user=postfix", "passwd=…", "db=mail", "crypt=dovecot",
            "query=SELECT password FROM users WHERE username = '%u'",
        ],
        ["config_file=/etc/pam-mysql.conf"],
    ]

    func applyFile(_ text: String) throws(OptionError) -> (ModuleOptions, [(LogPriority, String)]) {
        var options = ModuleOptions()
        var logged: [(LogPriority, String)] = []
        try ModuleConfiguration.apply(ConfigFile(parsing: SecretBytes(Array(text.utf8))), to: &options, path: "/etc/pam-mysql.conf") {
            logged.append(($0, $1))
        }
        return (options, logged)
    }

    func testDebiansShippedFileParsesWithoutAComplaint() throws {
        let (options, logged) = try applyFile(Self.debianFile)
        XCTAssertTrue(logged.isEmpty, "\(logged)")
        XCTAssertEqual(options.crypt, .mysql)
        XCTAssertEqual(options.userColumn, "User")
        XCTAssertEqual(options.host, "localhost")
    }

    func testOurShippedFilesParseWithoutAComplaint() throws {
        for name in ["packaging/pam-mysql.conf", "pam.d-examples/pam-mysql.conf"] {
            let text = try String(contentsOf: Self.repository.appendingPathComponent(name), encoding: .utf8)
            let (_, logged) = try applyFile(text)
            XCTAssertTrue(logged.isEmpty, "\(name): \(logged)")
        }
    }

    /// The README's grammar example (it once had text after its `;`, itself a syntax error).
    func testTheReadmeExampleParsesWithoutAComplaint() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "### Config file"),
            let open = readme.range(of: "```\n", range: section.upperBound..<readme.endIndex),
            let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex)
        else { return XCTFail("no example in README's Config file section") }
        let (options, logged) = try applyFile(String(readme[open.upperBound..<close.lowerBound]))
        XCTAssertTrue(logged.isEmpty, "\(logged)")
        XCTAssertNotNil(options.passwd)
    }

    func testDocumentedAndExampleLinesParseWithoutAComplaint() throws {
        var lines = Self.documentedLines
        for name in ["pam.d-examples/smtp", "pam.d-examples/smtp-config-file"] {
            let text = try String(contentsOf: Self.repository.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("pam_mysql.so") {
                lines.append(Self.arguments(of: String(line)))
            }
        }
        XCTAssertGreaterThanOrEqual(lines.count, Self.documentedLines.count + 4)
        for arguments in lines {
            var options = ModuleOptions()
            var logged: [String] = []
            XCTAssertNoThrow(
                try ModuleArgumentParser.apply(arguments.map { SecretBytes(Array($0.utf8)) }, to: &options) { logged.append($1) },
                "\(arguments)")
            XCTAssertFalse(logged.contains { $0.hasPrefix("unknown option") }, "\(arguments): \(logged)")
        }
    }

    /// The arguments after `pam_mysql.so`, split as libpam does (brackets group, `\]` is `]`).
    static func arguments(of line: String) -> [String] {
        guard let module = line.range(of: "pam_mysql.so") else { return [] }
        var arguments: [String] = []
        var current = ""
        var bracketed = false
        var characters = line[module.upperBound...].makeIterator()
        while let c = characters.next() {
            if bracketed {
                if c == "\\" {
                    if let next = characters.next() { current.append(next) }
                } else if c == "]" {
                    bracketed = false
                } else {
                    current.append(c)
                }
            } else if c == "[" && current.isEmpty {
                bracketed = true
            } else if c == " " || c == "\t" {
                if !current.isEmpty { arguments.append(current) }
                current = ""
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { arguments.append(current) }
        return arguments
    }
}
