import PAMMySQLCore

/// The statements of one set of options, built once per options update: the module used to
/// rebuild the status SQL (about 9,000 instructions) on every statement.
package struct AccountStatements {
    /// pam_mysql's password SELECT (`SELECT passwdcolumn FROM table WHERE usercolumn = ?`).
    package let password: String
    /// pam_mysql's account SELECT (`SELECT statcolumn, passwdcolumn …`).
    package let status: String
    /// Whether `statcolumn` is a plain column or expression of the row (not an aggregate), so
    /// the authentication can read the status in the same SELECT without changing the row count.
    package let statusIsRowLevel: Bool

    package init(_ options: ModuleOptions) {
        password = SQLStatements.passwordQuery(options)
        status = SQLStatements.statusQuery(options)
        statusIsRowLevel = SQLStatements.statusColumnIsRowLevel(options)
    }
}
