import PAMMySQLCore

extension ModuleCall {
    /// `pam_sm_acct_mgmt`: the status bits of `statcolumn` (and a NULL password); nothing is
    /// prompted and the password is not checked.
    func manageAccount() -> Outcome {
        let status: (value: SecretBytes?, passwordIsNull: Bool)
        let sql = SQLStatements.statusQuery(options)
        let cached = context.accountRow
        context.accountRow = nil
        if let cached, cached.user == user, cached.sql == sql, cached.identity.matches(ConnectionIdentity(options)) {
            trace("account status read by the authentication query")
            sqlLog(.queryingSuccess)
            status = (cached.statusValue, cached.passwordIsNull)
        } else {
            switch selectSingleRow(sql) {
            case .success(let found) where found.count >= 2:
                sqlLog(.queryingSuccess)
                status = (found[0], found[1] == nil)
            case .success:
                sqlLog(.queryingFailure)
                return .serviceError  // the statement always selects two columns
            case .failure(let outcome):
                sqlLog(.queryingFailure)
                return outcome
            }
        }
        let bits = AccountStatus.bits(statusValue: status.value, passwordIsNull: status.passwordIsNull)
        let result = AccountStatus.outcome(bits: bits)
        switch result {
        case .accountExpired:
            log(.notice, "account of user \"\(userForLog)\" has expired (status \(bits))")
        case .newAuthtokRequired, .authtokExpired:
            log(.notice, "user \"\(userForLog)\" must change the password (status \(bits))")
        default: trace("account status \(bits): allowed")
        }
        return result
    }
}
