import PAMMySQLCore

/// Why a lookup found no single row.
package enum LookupFailure: Error {
    case userUnknown
    case multipleRows(UInt64)
    case database(DatabaseError)
}

extension DatabaseSession {
    /// Runs a SELECT for the user with pam_mysql's row rule: no row is an unknown user, exactly
    /// one row is the answer, more rows are an error (pam_mysql 0.8.2 used the first of three or
    /// more). Logs nothing but the trace.
    package func lookupRow(_ sql: String, parameters: [SecretBytes]) -> Result<[SecretBytes?], LookupFailure> {
        log.trace("query: \(LogText.escaped(sql, limit: 1024))")
        switch execute(sql, parameters: parameters) {
        case .failure(let error): return .failure(.database(error))
        case .success(let lookup) where lookup.rowCount == 0: return .failure(.userUnknown)
        case .success(let lookup) where lookup.rowCount > 1: return .failure(.multipleRows(lookup.rowCount))
        case .success(let lookup): return .success(lookup.firstRow)
        }
    }

    /// The row whose first column is the stored password.
    ///
    /// It is read with pam_mysql's account statement (`SELECT statcolumn, passwdcolumn …`), so
    /// the account check of the same login finds its answer already read: one query per login.
    /// pam_mysql's authentication never evaluated `statcolumn`, so when that statement fails
    /// with an SQL error (a `statcolumn` only the account line can use), or `statcolumn` could
    /// change the row count (an aggregate), the password statement of pam_mysql decides alone.
    package func lookupPasswordRow(user: [UInt8]) -> Result<[SecretBytes?], LookupFailure> {
        // An administrator's `query` (crypt=dovecot) replaces the password look-up entirely.
        if let query = options.query { return lookupRow(query.sql, parameters: query.parameters(for: user)) }
        let name = [SecretBytes(user)]
        guard statusIsRowLevel else { return lookupRow(passwordStatement, parameters: name) }
        let combined = statusStatement
        switch lookupRow(combined, parameters: name) {
        case .success(let found) where found.count >= 2:
            accountRow = AccountRow(
                user: user, sql: combined, identity: identity, statusValue: found[0], passwordIsNull: found[1] == nil)
            return .success(Array(found.dropFirst()))
        case .failure(.database(let error)) where error.kind == .statement:
            log.trace("the status column cannot be read with the password (\(LogText.escaped(error.message))); using the password query")
            return lookupRow(passwordStatement, parameters: name)
        case .success:
            return lookupRow(passwordStatement, parameters: name)
        case .failure(let failure):
            return .failure(failure)
        }
    }
}
