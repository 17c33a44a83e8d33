import PAMMySQLCore
import XCTest

/// The `query` option: Dovecot's variables become bound parameters, never text.
final class DovecotQueryTests: XCTestCase {
    func parse(_ text: String) -> DovecotQuery? { try? DovecotQuery.parse(text).get() }

    func reason(_ text: String) -> String? {
        if case .failure(let error) = DovecotQuery.parse(text) { return error.reason }
        return nil
    }

    func testBareAndQuotedVariablesBecomePlaceholders() {
        let query = parse("SELECT password FROM mailbox WHERE username = '%u' AND active = '1'")
        XCTAssertEqual(query?.sql, "SELECT password FROM mailbox WHERE username = ? AND active = '1'")
        XCTAssertEqual(query?.variables, [.user])
        XCTAssertEqual(parse("SELECT pw FROM t WHERE u = %u")?.sql, "SELECT pw FROM t WHERE u = ?")
        XCTAssertEqual(parse("SELECT pw FROM t WHERE u = \"%u\"")?.sql, "SELECT pw FROM t WHERE u = ?")
    }

    func testLocalPartAndDomainInShortAndLongForms() {
        let query = parse(
            "SELECT pw FROM users WHERE local = '%n' AND domain = '%d' OR (local = '%{username}' AND domain = '%{domain}' AND '%{user}' <> '')"
        )
        XCTAssertEqual(query?.variables, [.localPart, .domain, .localPart, .domain, .user])
        XCTAssertEqual(query?.sql, "SELECT pw FROM users WHERE local = ? AND domain = ? OR (local = ? AND domain = ? AND ? <> '')")
    }

    func testMixedQuotedTextBecomesConcat() {
        XCTAssertEqual(parse("SELECT pw FROM t WHERE addr = '%n@%d'")?.sql, "SELECT pw FROM t WHERE addr = CONCAT(?, '@', ?)")
        XCTAssertEqual(parse("SELECT pw FROM t WHERE h = 'x-%u-y'")?.sql, "SELECT pw FROM t WHERE h = CONCAT('x-', ?, '-y')")
    }

    func testPercentPercentAndQuotesAreKept() {
        XCTAssertEqual(parse("SELECT pw FROM t WHERE u = %u AND n LIKE 'a%%'")?.sql, "SELECT pw FROM t WHERE u = ? AND n LIKE 'a%'")
        XCTAssertEqual(
            parse("SELECT pw FROM t WHERE n = 'it''s ?' AND m = 'a\\'b' AND u = %u")?.sql,
            "SELECT pw FROM t WHERE n = 'it''s ?' AND m = 'a\\'b' AND u = ?")
        XCTAssertEqual(parse("SELECT `pass word` FROM t WHERE u = %u -- %d in a comment\n")?.variables, [.user])
    }

    func testParametersSplitAtTheFirstAt() {
        let query = parse("SELECT pw FROM t WHERE u = '%u' AND l = '%n' AND d = '%d'")!
        func texts(_ user: String) -> [String] {
            query.parameters(for: Array(user.utf8)).map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        }
        XCTAssertEqual(texts("alice@example.com"), ["alice@example.com", "alice", "example.com"])
        XCTAssertEqual(texts("bob"), ["bob", "bob", ""])
        XCTAssertEqual(texts("a@b@c"), ["a@b@c", "a", "b@c"])
        // Quotes in a user name are only bytes in a parameter.
        XCTAssertEqual(texts("x' OR '1'='1"), ["x' OR '1'='1", "x' OR '1'='1", ""])
    }

    func testInvalidQueriesAreOptionErrors() {
        // The variable is named by its position only: an error never quotes the value.
        XCTAssertEqual(reason("SELECT pw FROM t WHERE u = '%x'"), "unknown variable at character 29: use %u, %n, %d or %%")
        XCTAssertEqual(
            reason("SELECT pw FROM t WHERE u = '%{home}'"), "unknown variable at character 29: use %{user}, %{username} or %{domain}")
        XCTAssertEqual(reason("SELECT pw FROM t WHERE u = %{user"), "unterminated %{…} variable")
        XCTAssertEqual(reason("SELECT pw FROM t WHERE u = %"), "the query ends with a lone %")
        XCTAssertEqual(reason("SELECT pw FROM t WHERE u = ?"), "a ? outside quotes would be an unbound parameter; write %u, %n or %d")
        XCTAssertEqual(reason("SELECT pw FROM t WHERE u = 'abc"), "unterminated quoted string")
        XCTAssertEqual(reason("SELECT pw FROM `%d`"), "a variable cannot name a table or column")
        XCTAssertEqual(reason("DELETE FROM t WHERE u = %u"), "the query must be a SELECT")
        XCTAssertEqual(reason("SELECTED pw"), "the query must be a SELECT")
        XCTAssertEqual(reason(""), "the query must be a SELECT")
    }

    func testTheOptionRejectsBadQueriesAndSchemes() {
        var options = ModuleOptions()
        let noLog: LogSink = { _, _ in }
        XCTAssertThrowsError(
            try ModuleArgumentParser.apply([SecretBytes(Array("query=SELECT pw FROM t WHERE u = %x".utf8))], to: &options, log: noLog)
        ) { error in
            XCTAssertEqual(
                error as? OptionError,
                .invalidQuery(reason: "unknown variable at character 28: use %u, %n, %d or %%", origin: "argument query"))
        }
        XCTAssertThrowsError(
            try ModuleArgumentParser.apply([SecretBytes(Array("default_pass_scheme=SHA3".utf8))], to: &options, log: noLog))
        XCTAssertThrowsError(
            try ModuleArgumentParser.apply([SecretBytes(Array("default_pass_scheme=SHA1.b32".utf8))], to: &options, log: noLog))
        XCTAssertNoThrow(
            try ModuleArgumentParser.apply(
                ["crypt=dovecot", "default_pass_scheme=sha512-crypt.b64", "allow_weak_schemes", "query=SELECT pw FROM t WHERE u = '%u'"]
                    .map { SecretBytes(Array($0.utf8)) }, to: &options, log: noLog))
        XCTAssertEqual(options.crypt, .dovecot)
        XCTAssertEqual(options.defaultPassScheme, "sha512-crypt.b64")
        XCTAssertTrue(options.allowWeakSchemes)
        XCTAssertEqual(options.query?.sql, "SELECT pw FROM t WHERE u = ?")
        XCTAssertEqual(ModuleOptions().defaultPassScheme, "CRYPT")
        XCTAssertFalse(ModuleOptions().allowWeakSchemes)
    }

    func testConfigFileKeys() throws {
        var options = ModuleOptions()
        let file = ConfigFile(
            parsing: SecretBytes(
                Array(
                    "users.password_crypt = dovecot\nusers.default_pass_scheme = SHA512-CRYPT\nusers.allow_weak_schemes = yes\nusers.query = SELECT password FROM mailbox WHERE username = '%u' AND active = '1'\n"
                        .utf8)))
        try ModuleConfiguration.apply(file, to: &options, path: "/etc/pam-mysql.conf", log: { _, _ in })
        XCTAssertEqual(options.crypt, .dovecot)
        XCTAssertEqual(options.defaultPassScheme, "SHA512-CRYPT")
        XCTAssertTrue(options.allowWeakSchemes)
        XCTAssertEqual(options.query?.variables, [.user])
    }

    func testModeLabels() {
        XCTAssertEqual(CryptMode.md5.label, "crypt=3 (md5)")
        XCTAssertEqual(CryptMode.dovecot.label, "crypt=dovecot")
    }
}
