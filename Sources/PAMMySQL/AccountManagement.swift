import PAMMySQLCore

extension ModuleCall {
    /// `pam_sm_acct_mgmt`: the status bits of `statcolumn` (and a NULL password); nothing is
    /// prompted and the password is not checked.
    func manageAccount() -> Outcome {
        let sql = SQLStatements.statusQuery(options)
        trace("query: \(sql)")
        let lookup: LookupResult
        switch context.lookup(sql, parameter: user, trace: trace) {
        case .failure(let error): return outcome(for: error)
        case .success(let result): lookup = result
        }
        guard lookup.rowCount != 0 else {
            log(.err, "SELECT returned no result.")
            return .userUnknown
        }
        guard lookup.rowCount == 1, lookup.firstRow.count >= 2 else {
            log(.err, "SELECT returned an indetermined result. (\(lookup.rowCount) rows: the user column must be unique)")
            return .serviceError
        }
        let bits = AccountStatus.bits(statusValue: lookup.firstRow[0], passwordIsNull: lookup.firstRow[1] == nil)
        let result = AccountStatus.outcome(bits: bits)
        switch result {
        case .accountExpired: log(.notice, "account of user \"\(userForLog)\" has expired (status \(bits))")
        case .newAuthtokRequired, .authtokExpired:
            log(.notice, "user \"\(userForLog)\" must change the password (status \(bits))")
        default: trace("account status \(bits): allowed")
        }
        return result
    }
}
