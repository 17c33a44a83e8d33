import PAMMySQLCore

/// What a statement returned. A SELECT keeps only its first row: pam_mysql only needs to tell
/// 0, 1 and "more than one".
package struct StatementResult {
    package init(rowCount: UInt64, firstRow: [SecretBytes?]) {
        self.rowCount = rowCount
        self.firstRow = firstRow
    }

    package let rowCount: UInt64
    /// The columns of the first row (nil for SQL NULL), each a secret: a stored hash is one.
    package let firstRow: [SecretBytes?]
}
