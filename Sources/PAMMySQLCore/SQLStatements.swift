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

    /// `SELECT statcolumn, passwdcolumn FROM table WHERE usercolumn = ?[ AND (where)]`
    public static func statusQuery(_ options: ModuleOptions) -> String {
        "SELECT \(options.statColumn ?? ""), \(options.passwdColumn ?? "") FROM \(options.table ?? "") WHERE \(options.userColumn ?? "") = ?"
            + whereSuffix(options)
    }

    private static func whereSuffix(_ options: ModuleOptions) -> String {
        guard let clause = options.whereClause else { return "" }
        return " AND (\(clause))"
    }
}
