import AccountDatabase
import PAMMySQLCore
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// Arguments that pam_mysql accepts but that change nothing.
private let ignoredArguments: [String: String] = [
    "update_table": "pam_mysql never used it for the password UPDATE (table= is used)"
]

/// `pam-mysql check`: walks a service's module lines link by link, with the module's own
/// code: the options carried from line to line as the module carries them, the database
/// session (failover, deadline, TLS, the plugin rules) and the login and account decisions.
/// Where the module would refuse, the check FAILs with the module's reason.
struct Checker {
    let report: Report
    let user: String?
    let password: SecretBytes?
    /// Whether the application passes PAM_DISALLOW_NULL_AUTHTOK (saslauthd does not).
    var disallowsEmptyPassword = false
    /// Whether saslauthd runs these lines (`-a pam`), which answers the module's prompt with the
    /// password and never passes PAM_DISALLOW_NULL_AUTHTOK: `nullok` and `use_first_pass` warn.
    var underSaslauthd = false

    /// Checks `lines` in order; options persist from one line to the next, as they do within
    /// one PAM transaction, and a refused line refuses the rest (as the module does).
    func check(_ lines: [PAMLine], origin: String) {
        var options = ModuleOptions()
        var refused: OptionError?
        for line in lines {
            let place = line.type.isEmpty ? origin : "\(origin) line \(line.number) (\(line.type) \(line.control))"
            report.heading("\(place): \(line.modulePath)")
            if let refused {
                report.fail(
                    "options", "\(refused.message) (an earlier line was refused, so the module refuses this one too)",
                    fix: Self.fix(for: refused))
                continue
            }
            do {
                try parseOptions(line, into: &options)
            } catch {
                refused = error
                report.fail("options", error.message, fix: Self.fix(for: error))
                continue
            }
            checkCall(options, type: line.type)
        }
    }

    /// Calls whose options are already resolved (a `[service]` section of pam-mysql-authd,
    /// validated by the daemon's loader): the same checks as for lines, without parsing.
    func check(resolved calls: [(type: String, options: ModuleOptions)], origin: String) {
        for call in calls {
            report.heading("\(origin) (\(call.type)): pam_mysql options")
            report.ok("options", "resolved by pam-mysql-authd; \(call.options.crypt.label), database \(call.options.db ?? "")")
            checkCall(call.options, type: call.type)
        }
    }

    /// One module call with its options: the database, then the row, password or account.
    private func checkCall(_ options: ModuleOptions, type: String) {
        guard requiredOptionsPresent(options) else { return }
        if underSaslauthd, type.isEmpty || type == "auth" { warnAboutSaslauthd(options) }
        let log = CollectedLog()
        let session = DatabaseSession(options: options, log: DatabaseLog(verbose: false, sink: log.append))
        defer { session.end() }
        if type == "session", !options.sqlLog {
            // The module touches no database on a session line without sqllog.
            report.ok("session", "nothing to check: without sqllog the module answers success without the database")
            return
        }
        // The module bounds each call's database work with login_timeout; so does the check.
        LoginDeadline.with(seconds: options.loginTimeout) {
            guard connect(session, log: log) else { return }
            switch type {
            case "account": checkAccount(session)
            case "session": report.ok("session", "sqllog rows go to \(options.logTable ?? "(no log table)")")
            default: checkLogin(session)
            }
        }
    }

    // MARK: options

    /// The module's own parser: whatever makes it refuse the line throws (a FAIL with the
    /// module's log line as the reason, and nothing else about the line is reported: an unknown
    /// "option" after a bare `passwd` is likely the password).
    private func parseOptions(_ line: PAMLine, into options: inout ModuleOptions) throws(OptionError) {
        var notices: [OptionNotice] = []
        try ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }) {
            notices.append($0)
        }
        var problems = 0
        for argument in line.arguments {
            let name = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if let why = ignoredArguments[name] {
                problems += 1
                report.warn("options", "option \"\(name)\" has no effect: \(why)", fix: "remove it")
            }
        }
        let names = OptionTable.all.compactMap { $0.argumentName }
        let configKeys = OptionTable.all.compactMap { $0.configKey }
        for notice in notices {
            switch notice {
            case .trace: continue
            case .unknownArgument(let name):
                let fix =
                    closest(to: name, among: names).map { "did you mean \"\($0)\"?" } ?? "remove it (see pam_mysql(8) for the options)"
                report.warn("options", "unknown option \"\(name)\" is ignored", fix: fix)
            case .unknownAfterEmptyValue:
                report.warn(
                    "options", notice.message, fix: "join the option and its value (bracket the whole option if the value has blanks)")
            case .unknownConfigKey(let name, _):
                report.warn(
                    "options", notice.message,
                    fix: closest(to: Substring(name).trimmingCharacters(in: "\""), among: configKeys).map { "did you mean \"\($0)\"?" })
            case .worldReadableConfigFile:
                report.warn("options", notice.message, fix: "chmod o-r the config file (it holds the database password)")
            }
            problems += 1
        }
        if problems == 0 {
            report.ok("options", "parsed; \(options.crypt.label), database \(options.db ?? "")")
        }
    }

    /// What saslauthd makes of options written for an interactive login.
    private func warnAboutSaslauthd(_ options: ModuleOptions) {
        if options.nullOK {
            report.warn(
                "saslauthd",
                "nullok: saslauthd never passes PAM_DISALLOW_NULL_AUTHTOK, so a user whose stored password is NULL logs in "
                    + "with any password (and one whose stored password is empty, with an empty password)",
                fix: "remove nullok from the lines saslauthd uses")
        }
        if options.useFirstPass {
            report.warn(
                "saslauthd",
                "use_first_pass: saslauthd sets no PAM_AUTHTOK, it answers the module's Password: prompt; with use_first_pass "
                    + "the module never asks, so every login fails unless an earlier auth module asked for the password",
                fix: "remove use_first_pass (try_first_pass, the default, uses an earlier module's password and asks otherwise)")
        }
    }

    /// The module's requirements (`user`, `db`), and what every statement needs.
    private func requiredOptionsPresent(_ options: ModuleOptions) -> Bool {
        var missing: [String] = []
        if options.user == nil { missing.append("user") }
        if options.db == nil { missing.append("db") }
        if options.query == nil {
            if options.table == nil { missing.append("table") }
            if options.userColumn == nil { missing.append("usercolumn") }
            if options.passwdColumn == nil { missing.append("passwdcolumn") }
        }
        guard missing.isEmpty else {
            report.fail("options", "missing \(missing.joined(separator: ", "))", fix: "add them to the PAM line or the config file")
            return false
        }
        return true
    }

    /// What to do about a line the module refuses.
    static func fix(for error: OptionError) -> String {
        switch error {
        case .missingValue(let option): "write \(option)=VALUE as one argument (bracket it if the value has spaces)"
        case .misspeltRestriction(_, let closeTo, _): "spell it \(closeTo) (or remove it)"
        case .configFileSyntax: "write that line as KEY = VALUE ('#' starts a comment only in the first column)"
        case .unusableConfigFile(_, let problem):
            switch problem {
            case .relativePath: "give config_file an absolute path"
            case .cannotOpen, .readFailed: "check the config_file path and that the file is there"
            case .notARegularFile, .tooLarge: "point config_file at the config file itself"
            case .untrustedOwner: "chown root the config file"
            case .writableByOthers: "chmod go-w the config file"
            case .untrustedDirectory: "chown root that directory, or move the file to a directory owned by root"
            case .writableDirectory: "chmod go-w that directory, or move the file to a directory only root can write"
            }
        default: "correct that value in the PAM line or the config file"
        }
    }

    // MARK: database

    /// Connects as the module would: the servers in order with failover, within the deadline.
    private func connect(_ session: DatabaseSession, log: CollectedLog) -> Bool {
        let result = session.connect()
        let identity = session.identity
        switch result {
        case .success:
            let server = session.connectedServer.map { $0.description } ?? identity.serversDescription
            if log.lines.contains(where: { $0.0 == .warning }) {
                let failed = log.lines.filter { $0.0 == .err }.map { $0.1 }.joined(separator: "; ")
                report.warn(
                    "database reachable", "\(server), after earlier servers failed: \(failed)",
                    fix: "bring the earlier servers back, or reorder host=")
            } else {
                report.ok("database reachable", server)
            }
            report.ok("SQL login accepted", "as \(session.options.user ?? "(none)")")
            return true
        case .failure(let error) where Self.isLoginRefusal(error.code):
            report.ok("database reachable", identity.serversDescription)
            report.fail(
                "SQL login accepted", "\(error.message) (error \(error.code))",
                fix: "check user=/passwd= and db= against the server's GRANTs (GRANT SELECT ON db.table TO 'user'@'host')")
        case .failure(let error) where error.code == 5010:
            report.ok("database reachable", identity.serversDescription)
            report.fail(
                "SQL login accepted", error.message,
                fix: "give the SQL login mysql_native_password, or use ssl_mode=verify_identity with ssl_ca and ssl_auth_plugins")
        case .failure(let error) where error.kind == .statement:
            report.fail("database reachable", error.message, fix: "correct the connection options (ssl_*, host=)")
        case .failure(let error):
            let tried = log.lines.filter { $0.0 == .err }.map { $0.1 }
            let detail =
                tried.count > 1 ? tried.joined(separator: "; ") : "\(identity.serversDescription): \(error.message) (error \(error.code))"
            report.fail("database reachable", detail, fix: Self.connectionFix(identity.servers))
        }
        return false
    }

    /// The fix for servers that do not answer. The module runs inside saslauthd (or the
    /// application that loads it), never inside Postfix's chroot: the socket path is the
    /// server's own, not one under /var/spool/postfix.
    static func connectionFix(_ servers: [ServerAddress]) -> String {
        let chrooted = servers.contains {
            if case .socket(let path) = $0 { return path.hasPrefix("/var/spool/postfix/") }
            return false
        }
        let outside =
            "the module runs in saslauthd (or the program that loads it), outside Postfix's chroot, so the socket path is "
            + "the server's normal one (e.g. /run/mysqld/mysqld.sock)"
        if chrooted { return "point host= at the server's own socket: \(outside), not a path under /var/spool/postfix" }
        return "check host= (host:port or a socket path), that the server runs and that a firewall lets the connection through; "
            + outside
    }

    /// A decision in words, for the rare verdicts that have no line of their own.
    static func describe(_ decision: LoginDecision) -> String {
        switch decision {
        case .accepted: "accepted"
        case .refused(let refusal): "refused: \(refusal)"
        case .temporaryFailure(let error): "the database failed: \(error.message)"
        case .configurationError(.database(let error)): "\(error.message) (error \(error.code))"
        case .configurationError(.multipleRows(let count)): "\(count) rows"
        case .configurationError(.malformedStoredValue(let reason)): "malformed stored value: \(reason)"
        }
    }

    static func isLoginRefusal(_ code: UInt32) -> Bool {
        [1044, 1045, 1049, 1698, 1130, 1251, 1524].contains(code)
    }

    // MARK: the login decision

    private func checkLogin(_ session: DatabaseSession) {
        let options = session.options
        guard let user else {
            // No user: only the statement itself (the table and columns).
            let probe =
                session.options.query.map { ($0.sql, $0.parameters(for: Array("pam-mysql-check-nonexistent-user".utf8))) }
                ?? (session.passwordStatement, [SecretBytes(Array("pam-mysql-check-nonexistent-user".utf8))])
            switch session.lookupRow(probe.0, parameters: probe.1) {
            case .failure(.database(let error)): reportStatementFailure(error, sql: probe.0)
            default: reportStatementOK(options)
            }
            report.info("(give a USER to check the row, the stored value and a password)")
            return
        }
        let name = Array(user.utf8)
        // First with the empty password: does the stored value have the shape crypt= expects?
        let probe = session.decideLogin(LoginRequest(user: name, password: SecretBytes([]), disallowsEmptyPassword: disallowsEmptyPassword))
        guard reportStoredValue(probe, session: session, user: user) else { return }
        guard let password else { return }
        switch session.decideLogin(LoginRequest(user: name, password: password, disallowsEmptyPassword: disallowsEmptyPassword)) {
        case .accepted:
            report.ok("password", "verifies")
        case .refused(.passwordTooLong):
            report.fail("password", "longer than \(maximumPasswordLength) bytes: refused before hashing", fix: "use a shorter password")
        case .temporaryFailure(let error):
            report.fail("password", "the database failed: \(error.message)", fix: "check the server")
        default:
            if let shape = storedValueShape(session, user: name), let hint = shape.hint(configured: options.crypt) {
                report.fail(
                    "password", "does not verify against the stored value, which \(hint)",
                    fix: shape.setting.map { "set \($0) if the values were made that way, else check the password" }
                        ?? "store a new value (pam-mysql hash)")
            } else {
                report.fail(
                    "password", "does not verify against the stored value",
                    fix: "check the password, or store a new value (pam-mysql hash)")
            }
        }
    }

    /// The lines for the table, the row and the stored value; false when the check stops there.
    private func reportStoredValue(_ probe: LoginDecision, session: DatabaseSession, user: String) -> Bool {
        let options = session.options
        switch probe {
        case .temporaryFailure(let error):
            report.fail(
                "table and columns", "\(error.message) (error \(error.code))",
                fix: "check that the server keeps answering (read_timeout=, login_timeout=)")
            return false
        case .configurationError(.database(let error)):
            reportStatementFailure(error, sql: options.query?.sql ?? session.passwordStatement)
            return false
        default:
            reportStatementOK(options)
        }
        switch probe {
        case .refused(.unknownUser):
            reportNoRow("row for user", session, user: user)
            return false
        case .configurationError(.multipleRows(let count)):
            report.fail(
                "row for user", "\(count) rows for \"\(user)\" (pam_mysql refuses the login)",
                fix: "make usercolumn unique (a UNIQUE index) or narrow with where=")
            return false
        default:
            report.ok("row for user", "exactly one row for \"\(user)\"")
        }
        switch probe {
        case .accepted(.emptyPasswordAllowed):
            report.warn(
                "stored value", "NULL or empty: accepted without a password because of nullok", fix: "set a password, or remove nullok")
        case .accepted(.passwordVerified):
            report.warn(
                "stored value", "recognised as \(options.crypt.label), and the empty password matches it", fix: "set a real password")
        case .refused(.emptyStoredPassword):
            report.fail(
                "stored value", "NULL or empty: every login is refused (unless nullok)",
                fix: "set a password (pam-mysql hash makes a stored value)")
            return false
        case .refused(.malformedStoredValue(let reason)), .configurationError(.malformedStoredValue(let reason)):
            let shape = storedValueShape(session, user: Array(user.utf8))
            let hint = shape?.hint(configured: options.crypt).map { "; it \($0)" } ?? ""
            report.fail(
                "stored value", "not recognised as \(options.crypt.label): \(reason)\(hint)",
                fix: "set crypt= to the scheme the values were made with, or store a new value made by `pam-mysql hash`")
            return false
        default:
            // crypt=0 takes any value (and crypt=1 many): a shape of another mode is worth a word.
            if options.crypt != .dovecot, let shape = storedValueShape(session, user: Array(user.utf8)), let setting = shape.setting,
                shape.isDistinctive, shape.mode != options.crypt
            {
                report.warn(
                    "stored value", "accepted by \(options.crypt.label), but it looks like \(shape.format)",
                    fix: "set \(setting) if the values were made that way")
            } else {
                report.ok("stored value", "recognised as \(options.crypt.label)")
            }
        }
        return true
    }

    /// The format the user's stored value seems to have, read once more with the module's own
    /// statement; the value itself never leaves this function.
    private func storedValueShape(_ session: DatabaseSession, user: [UInt8]) -> StoredValueShape? {
        guard case .success(let row) = session.lookupPasswordRow(user: user), let stored = row.first ?? nil else { return nil }
        return StoredValueShape.guess(stored)
    }

    /// No row for `user`. When the name has no `@` and the table's names do, the likely cause
    /// is saslauthd without `-r`: Cyrus SASL splits `user@domain` at the last `@` and saslauthd
    /// passes only `user` to PAM unless `-r` joins them again.
    private func reportNoRow(_ step: String, _ session: DatabaseSession, user: String) {
        switch domainInTable(session, user: user) {
        case .sameName:
            report.fail(
                step, "no row for \"\(user)\", but the table has \"\(user)@…\": saslauthd without -r passes only the name before the @",
                fix: "run saslauthd with -r (OPTIONS=\"-r …\" in /etc/default/saslauthd) so the login keeps its @domain")
        case .otherNames:
            report.fail(
                step,
                "no row for \"\(user)\"; the table's names carry a domain (user@domain): saslauthd without -r passes only the name before the @",
                fix: "log in as user@domain, and run saslauthd with -r (OPTIONS=\"-r …\" in /etc/default/saslauthd)")
        case nil:
            report.fail(step, "no row for \"\(user)\"", fix: "add the user, or check usercolumn= and where=")
        }
    }

    enum DomainInTable { case sameName, otherNames }

    /// Two bounded SELECTs (LIMIT 1, within the login deadline) through the session: is there a
    /// `user@…` row, else any name with an `@`? nil for a name with `@`, a `query=`, or an error.
    private func domainInTable(_ session: DatabaseSession, user: String) -> DomainInTable? {
        let options = session.options
        guard !user.utf8.contains(UInt8(ascii: "@")), options.query == nil, let table = options.table, let column = options.userColumn
        else { return nil }
        var pattern: [UInt8] = []
        for byte in user.utf8 {
            if byte == UInt8(ascii: "!") || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "_") { pattern.append(UInt8(ascii: "!")) }
            pattern.append(byte)
        }
        pattern += Array("@%".utf8)
        let sameName = "SELECT 1 FROM \(table) WHERE \(column) LIKE ? ESCAPE '!' LIMIT 1"
        if case .success(let found) = session.execute(sameName, parameters: [SecretBytes(pattern)]), found.rowCount > 0 { return .sameName }
        let anyDomain = "SELECT 1 FROM \(table) WHERE \(column) LIKE '%@%' LIMIT 1"
        if case .success(let found) = session.execute(anyDomain, parameters: []), found.rowCount > 0 { return .otherNames }
        return nil
    }

    private func reportStatementOK(_ options: ModuleOptions) {
        report.ok(
            "table and columns",
            options.query == nil ? "\(options.table ?? "") has \(options.userColumn ?? ""), \(options.passwdColumn ?? "")" : "query runs")
    }

    private func reportStatementFailure(_ error: DatabaseError, sql: String) {
        let fix: String
        switch error.code {
        case 1146: fix = "check table= (and db=): the table does not exist"
        case 1054: fix = "check usercolumn=/passwdcolumn=/statcolumn=/where= against the table's columns"
        case 1142, 1143: fix = "GRANT SELECT on the table (and columns) to the SQL user"
        default: fix = "check the statement's options (table=, usercolumn=, passwdcolumn=, statcolumn=, where=, query=)"
        }
        report.fail("table and columns", "\(error.message) (error \(error.code)); statement: \(sql)", fix: fix)
    }

    // MARK: the account decision

    private func checkAccount(_ session: DatabaseSession) {
        guard let user else {
            report.info("(give a USER to check the account status)")
            return
        }
        switch session.decideAccount(user: Array(user.utf8)) {
        case .status(.allowed, let bits, _):
            report.ok("account status", "status \(bits): allowed")
        case .status(.expired, let bits, _):
            report.fail(
                "account status", "status \(bits): the account has expired (the module answers PAM_ACCT_EXPIRED)",
                fix: "clear bit 0 of statcolumn for this user")
        case .status(_, let bits, _):
            report.fail(
                "account status", "status \(bits): the password must be changed (the module refuses the login)",
                fix: "clear bit 1 of statcolumn, or let the user change the password")
        case .failed(.refused(.unknownUser)):
            reportNoRow("account status", session, user: user)
        case .failed(.configurationError(.multipleRows(let count))):
            report.fail(
                "account status", "\(count) rows for \"\(user)\"", fix: "make usercolumn unique (a UNIQUE index) or narrow with where=")
        case .failed(.configurationError(.database(let error))):
            reportStatementFailure(error, sql: session.statusStatement)
        case .failed(.temporaryFailure(let error)):
            report.fail(
                "account status", "the database failed: \(error.message) (error \(error.code))",
                fix: "check that the server keeps answering")
        case .failed(let other):
            report.fail(
                "account status", "the status could not be read (\(Self.describe(other)))", fix: "check the account statement's options")
        }
    }
}

/// The log lines of one check's session, for the verdicts (never printed as they are).
final class CollectedLog {
    private(set) var lines: [(LogPriority, String)] = []
    func append(_ priority: LogPriority, _ message: String) { lines.append((priority, message)) }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
