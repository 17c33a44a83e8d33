import PAMMySQLCore

/// The statements of one set of options, each built on first use and kept until the options
/// change: the module used to rebuild the status SQL (about 9,000 instructions) on every
/// statement, and an authentication needs only one of them.
package final class AccountStatements {
    private let options: ModuleOptions

    package init(_ options: ModuleOptions) {
        self.options = options
    }

    /// pam_mysql's password SELECT (`SELECT passwdcolumn FROM table WHERE usercolumn = ?`).
    package private(set) lazy var password: String = SQLStatements.passwordQuery(options)
    /// pam_mysql's account SELECT (`SELECT statcolumn, passwdcolumn …`).
    package private(set) lazy var status: String = SQLStatements.statusQuery(options)
    /// Whether `statcolumn` is a plain column or expression of the row (not an aggregate), so
    /// the authentication can read the status in the same SELECT without changing the row count.
    package private(set) lazy var statusIsRowLevel: Bool = SQLStatements.statusColumnIsRowLevel(options)
}
