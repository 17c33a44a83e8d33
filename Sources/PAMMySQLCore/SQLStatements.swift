/// The SQL pam_mysql 0.8.2 sends, with one change: the user name is a bound parameter (`?`)
/// instead of an escaped literal, so no character set or SQL mode can turn it into SQL.
/// Table, column and `where` values are the administrator's SQL and are inserted verbatim,
/// exactly as pam_mysql does (they may be expressions or joins).
public enum SQLStatements {
    /// `SELECT passwdcolumn FROM table WHERE usercolumn = ?[ AND (where)]`
    public static func passwordQuery(_ options: ModuleOptions) -> String {
        "SELECT \(options.passwdColumn ?? "") FROM \(options.table ?? "") WHERE \(options.userColumn ?? "") = ?"
            + whereSuffix(options)
    }

    /// `SELECT usercolumn FROM table WHERE usercolumn = ?[ AND (where)]`: the name as the table
    /// spells it (the auth daemon's `ok_user = database`; the collation may match `ALICE`).
    public static func userNameQuery(_ options: ModuleOptions) -> String {
        "SELECT \(options.userColumn ?? "") FROM \(options.table ?? "") WHERE \(options.userColumn ?? "") = ?" + whereSuffix(options)
    }

    /// `SELECT statcolumn, passwdcolumn FROM table WHERE usercolumn = ?[ AND (where)]`
    public static func statusQuery(_ options: ModuleOptions) -> String {
        "SELECT \(options.statColumn ?? ""), \(options.passwdColumn ?? "") FROM \(options.table ?? "") WHERE \(options.userColumn ?? "") = ?"
            + whereSuffix(options)
    }

    /// `UPDATE table SET passwdcolumn = ? WHERE usercolumn = ?[ AND (where)]`; pam_mysql
    /// ignores `update_table` here, and so do we.
    public static func passwordUpdate(_ options: ModuleOptions) -> String {
        "UPDATE \(options.table ?? "") SET \(options.passwdColumn ?? "") = ? WHERE \(options.userColumn ?? "") = ?"
            + whereSuffix(options)
    }

    /// The log columns `sqllog` needs, by option name, in pam_mysql's order of checking; nil
    /// when all are set. pam_mysql did not check `logpidcolumn` and sent broken SQL instead.
    public static func missingLogOption(_ options: ModuleOptions) -> String? {
        let required: [(String, String?)] = [
            ("logtable", options.logTable), ("logmsgcolumn", options.logMessageColumn),
            ("logusercolumn", options.logUserColumn), ("loghostcolumn", options.logHostColumn),
            ("logpidcolumn", options.logPIDColumn), ("logtimecolumn", options.logTimeColumn),
        ]
        return required.first { $0.1 == nil }?.0
    }

    /// pam_mysql's log INSERT, with values bound in the order message, user, host, [rhost,] pid:
    /// `INSERT INTO logtable (msg, user, host[, rhost], pid, time) VALUES (?, ?, ?[, ?], ?, NOW())`
    public static func logInsert(_ options: ModuleOptions) -> String {
        var columns = [options.logMessageColumn, options.logUserColumn, options.logHostColumn]
        if let rhost = options.logRHostColumn { columns.append(rhost) }
        columns += [options.logPIDColumn, options.logTimeColumn]
        let names = columns.map { $0 ?? "" }.joined(separator: ", ")
        let values = Array(repeating: "?", count: columns.count - 1).joined(separator: ", ")
        return "INSERT INTO \(options.logTable ?? "") (\(names)) VALUES (\(values), NOW())"
    }

    /// Whether `statcolumn` can be read in the same SELECT as the password without changing
    /// what pam_mysql's password statement would return. An aggregate (`COUNT(*)`, `MAX(x)`),
    /// a window function or a subquery in it can change the number of rows (an aggregate
    /// returns one row even for an unknown user), so those get the two statements of pam_mysql.
    private static let aggregateFunctions: Set<String> = [
        "AVG", "BIT_AND", "BIT_OR", "BIT_XOR", "COUNT", "GROUP_CONCAT", "JSON_ARRAYAGG", "JSON_OBJECTAGG", "MAX",
        "MIN", "STD", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "SUM", "VAR_POP", "VAR_SAMP", "VARIANCE",
    ]

    public static func statusColumnIsRowLevel(_ options: ModuleOptions) -> Bool {
        let text = Array((options.statColumn ?? "").uppercased().utf8)
        var index = 0
        while index < text.count {
            let isWordByte = { (b: UInt8) in (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 }
            guard isWordByte(text[index]) else {
                index += 1
                continue
            }
            let start = index
            while index < text.count, isWordByte(text[index]) { index += 1 }
            let word = String(decoding: text[start..<index], as: UTF8.self)
            if word == "SELECT" || word == "OVER" { return false }
            var next = index
            while next < text.count, text[next] == 32 || text[next] == 9 { next += 1 }
            if next < text.count, text[next] == UInt8(ascii: "("), aggregateFunctions.contains(word) { return false }
        }
        return true
    }

    private static func whereSuffix(_ options: ModuleOptions) -> String {
        guard let clause = options.whereClause else { return "" }
        return " AND (\(clause))"
    }
}
