#if canImport(Glibc)
import Glibc
#endif
import PAMMySQL
import PAMMySQLCore

/// Prints one line per step: `OK`, `WARN` or `FAIL`, the step, what was found and, for a
/// failure, the fix. Nothing secret ever reaches it: messages come from option names,
/// MariaDB's error texts (which never contain a password) and counts.
final class Report {
    private(set) var failed = false
    private(set) var warned = false

    func ok(_ step: String, _ detail: String = "") {
        emit("OK  ", step, detail, fix: nil)
    }

    func warn(_ step: String, _ detail: String, fix: String? = nil) {
        warned = true
        emit("WARN", step, detail, fix: fix)
    }

    func fail(_ step: String, _ detail: String, fix: String) {
        failed = true
        emit("FAIL", step, detail, fix: fix)
    }

    func info(_ text: String) { print(text) }

    private func emit(_ verdict: String, _ step: String, _ detail: String, fix: String?) {
        var line = "\(verdict)  \(step)"
        if !detail.isEmpty { line += ": \(detail)" }
        if let fix { line += " -- fix: \(fix)" }
        print(line)
    }
}

/// Arguments that pam_mysql accepts but that change nothing.
private let ignoredArguments: [String: String] = [
    "update_table": "pam_mysql never used it for the password UPDATE (table= is used)",
]

/// `pam-mysql check`: walks one module line link by link.
struct Checker {
    let report: Report
    let user: String?
    let password: SecretBytes?

    func check(_ line: PAMLine, origin: String) {
        let where_ = line.type.isEmpty ? origin : "\(origin) line \(line.number) (\(line.type) \(line.control))"
        report.info("== \(where_): \(line.modulePath)")
        guard let options = parseOptions(line) else { return }
        guard let connection = connect(options) else { return }
        query(options, connection)
    }

    // MARK: options

    private func parseOptions(_ line: PAMLine) -> ModuleOptions? {
        // The module's own code first: whatever makes it refuse the line (PAM_SERVICE_ERR) is a
        // FAIL with the module's log line as the reason, and nothing else about the line is
        // reported (an unknown "option" after a bare `passwd` is likely the password).
        var options = ModuleOptions()
        var messages: [(LogPriority, String)] = []
        let sink: LogSink = { messages.append(($0, $1)) }
        do {
            try ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }, log: sink)
        } catch {
            report.fail("options", error.message, fix: Self.fix(for: error))
            return nil
        }
        let names = OptionTable.all.compactMap(\.argumentName)
        var problems = 0
        for argument in line.arguments {
            let name = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if let why = ignoredArguments[name] {
                problems += 1
                report.warn("options", "option \"\(name)\" has no effect: \(why)", fix: "remove it")
            }
        }
        // Unknown names come from the module's own lines, which withhold what may be a secret
        // (`passwd= secret`, `passwd:secret`).
        let unknownPrefix = "unknown option: "
        for (priority, message) in messages where priority.rawValue <= LogPriority.warning.rawValue {
            problems += 1
            if message.hasPrefix(unknownPrefix) {
                let name = String(message.dropFirst(unknownPrefix.count))
                let fix = closest(to: name, among: names).map { "did you mean \"\($0)\"?" } ?? "remove it (see pam_mysql(8) for the options)"
                report.warn("options", "unknown option \"\(name)\" is ignored", fix: fix)
                continue
            }
            let configKeys = OptionTable.all.compactMap(\.configKey)
            var fix: String? = nil
            if message.hasPrefix("unknown option after ") {
                fix = "join the option and its value (bracket the whole option if the value has blanks)"
            } else if message.hasPrefix("unknown option "), let key = message.split(separator: " ").dropFirst(2).first {
                let bare = key.trimmingCharacters(in: "\"")
                fix = closest(to: bare, among: configKeys).map { "did you mean \"\($0)\"?" }
            } else if message.contains("readable by every user") {
                fix = "chmod o-r the config file (it holds the database password)"
            }
            report.warn("options", message, fix: fix)
        }
        var missing: [String] = []
        if options.db == nil { missing.append("db") }
        if options.query == nil {
            if options.table == nil { missing.append("table") }
            if options.userColumn == nil { missing.append("usercolumn") }
            if options.passwdColumn == nil { missing.append("passwdcolumn") }
        }
        if !missing.isEmpty {
            report.fail("options", "missing \(missing.joined(separator: ", "))", fix: "add them to the PAM line or the config file")
            return nil
        }
        if problems == 0 {
            report.ok("options", "parsed; \(options.crypt.label), database \(options.db ?? "")")
        }
        return options
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

    private func connect(_ options: ModuleOptions) -> MariaDBConnection? {
        let identity = ConnectionIdentity(options)
        var lastError: DatabaseError? = nil
        for index in identity.servers.indices {
            switch MariaDBConnection.open(options, identity: identity, serverIndex: index) {
            case .success(let connection):
                report.ok("database reachable", identity.servers[index].description)
                report.ok("SQL login accepted", "as \(options.user ?? "(none)")")
                return connection
            case .failure(let error):
                lastError = error
                if Self.isLoginRefusal(error.code) {
                    report.ok("database reachable", identity.servers[index].description)
                    report.fail(
                        "SQL login accepted", "\(error.message) (error \(error.code))",
                        fix: "check user=/passwd= and db= against the server's GRANTs (GRANT SELECT ON db.table TO 'user'@'host')")
                    return nil
                }
            }
        }
        let error = lastError
        report.fail(
            "database reachable",
            "\(identity.serversDescription): \(error?.message ?? "no server") (error \(error?.code ?? 0))",
            fix: "check host= (host:port or a socket path; inside a chroot the socket must be reachable there), that the server runs and that a firewall lets the connection through")
        return nil
    }

    static func isLoginRefusal(_ code: UInt32) -> Bool {
        [1044, 1045, 1049, 1698, 1130, 1251, 1524].contains(code)
    }

    // MARK: query

    private func query(_ options: ModuleOptions, _ connection: MariaDBConnection) {
        let probeUser = user ?? "pam-mysql-check-nonexistent-user"
        let userBytes = Array(probeUser.utf8)
        let sql: String
        let parameters: [SecretBytes]
        if let query = options.query {
            sql = query.sql
            parameters = query.parameters(for: userBytes)
        } else {
            sql = SQLStatements.passwordQuery(options)
            parameters = [SecretBytes(userBytes)]
        }
        let result: StatementResult
        switch connection.execute(sql, parameters: parameters, maximumValueLength: maximumStoredValueLength) {
        case .failure(let error):
            let fix: String
            switch error.code {
            case 1146: fix = "check table= (and db=): the table does not exist"
            case 1054: fix = "check usercolumn=/passwdcolumn=/where= against the table's columns"
            case 1142, 1143: fix = "GRANT SELECT on the table (and columns) to the SQL user"
            default: fix = "check the statement's options (table=, usercolumn=, passwdcolumn=, where=, query=)"
            }
            report.fail("table and columns", "\(error.message) (error \(error.code)); statement: \(sql)", fix: fix)
            return
        case .success(let found):
            result = found
        }
        report.ok("table and columns", options.query == nil ? "\(options.table ?? "") has \(options.userColumn ?? ""), \(options.passwdColumn ?? "")" : "query runs")
        guard let user else {
            report.info("(give a USER to check the row, the stored value and a password)")
            return
        }
        switch result.rowCount {
        case 0:
            report.fail("row for user", "no row for \"\(user)\"", fix: "add the user, or check usercolumn= and where=")
            return
        case 1:
            report.ok("row for user", "exactly one row for \"\(user)\"")
        default:
            report.fail("row for user", "\(result.rowCount) rows for \"\(user)\" (pam_mysql refuses the login)", fix: "make usercolumn unique (a UNIQUE index) or narrow with where=")
            return
        }
        let context = VerificationContext(
            useMySQL323: options.use323Passwd, userName: userBytes, defaultPassScheme: options.defaultPassScheme,
            allowWeakSchemes: options.allowWeakSchemes)
        guard let stored = result.firstRow.first ?? nil else {
            if options.nullOK {
                report.warn("stored value", "NULL: accepted without a password because of nullok", fix: "set a password, or remove nullok")
            } else {
                report.fail("stored value", "NULL: every login is refused", fix: "set a password (pam-mysql hash makes a stored value)")
            }
            return
        }
        if stored.isEmpty {
            report.fail("stored value", "empty: refused unless nullok", fix: "set a password (pam-mysql hash makes a stored value)")
            return
        }
        switch PasswordSchemes.verify(mode: options.crypt, password: SecretBytes([]), stored: stored, context: context) {
        case .malformed(let reason):
            report.fail(
                "stored value", "not recognised as \(options.crypt.label): \(reason)",
                fix: "set crypt= to the scheme the values were made with, or store a new value made by `pam-mysql hash`")
            return
        case .match:
            report.warn("stored value", "recognised as \(options.crypt.label), and the empty password matches it", fix: "set a real password")
        case .mismatch:
            report.ok("stored value", "recognised as \(options.crypt.label)")
        case .storedSecretIsEmpty:
            report.fail("stored value", "\(options.crypt.label) value of an empty password: refused unless nullok", fix: "set a password (pam-mysql hash makes a stored value)")
            return
        }
        guard let password else { return }
        switch PasswordSchemes.verify(mode: options.crypt, password: password, stored: stored, context: context) {
        case .match:
            report.ok("password", "verifies")
        case .mismatch, .malformed, .storedSecretIsEmpty:
            report.fail("password", "does not verify against the stored value", fix: "check the password, or store a new value (pam-mysql hash)")
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
