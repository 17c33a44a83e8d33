import PAMMySQLCore

/// The status the authentication SELECT read, kept for the account check of the same
/// transaction. Only what that check needs: the stored password itself is not kept.
///
/// Keyed by everything that chose the row: the user, the statement (table, columns, `where`)
/// and the connection identity (servers, SQL login, database), so an account line that points
/// elsewhere reads its own row.
package struct AccountRow {
    package let user: [UInt8]
    package let sql: String
    package let identity: ConnectionIdentity
    package let statusValue: SecretBytes?
    package let passwordIsNull: Bool

    /// Whether this row answers an account check of `user` with `sql` over `identity`.
    package func answers(user: [UInt8], sql: String, identity: ConnectionIdentity) -> Bool {
        self.user == user && self.sql == sql && self.identity.matches(identity)
    }
}
