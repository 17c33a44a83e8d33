import PAMMySQLCore

/// The account check after a good password (`account` lines, the daemon's check): the status
/// bits of `statcolumn` and a NULL password.
package enum AccountDecision: Equatable {
    /// The status was read (by this check, or already by the authentication's SELECT).
    case status(AccountStatus.Verdict, bits: Int, readByAuthentication: Bool)
    /// The status could not be read: no row, several rows, or the database failed.
    case failed(LoginDecision)
}

extension DatabaseSession {
    /// Reads the account's status, from the authentication's row when it answers this check
    /// (same user, statement and connection identity), else with pam_mysql's account SELECT.
    /// Logs the expired and must-change cases at LOG_NOTICE.
    package func decideAccount(user: [UInt8]) -> AccountDecision {
        let sql = statusStatement
        let status: (value: SecretBytes?, passwordIsNull: Bool)
        let cached = accountRow
        accountRow = nil
        let readByAuthentication: Bool
        if let cached, cached.answers(user: user, sql: sql, identity: identity) {
            log.trace("account status read by the authentication query")
            status = (cached.statusValue, cached.passwordIsNull)
            readByAuthentication = true
        } else {
            switch lookupRow(sql, parameters: [SecretBytes(user)]) {
            case .success(let found) where found.count >= 2:
                status = (found[0], found[1] == nil)
            case .success:
                // The statement always selects two columns.
                return .failed(
                    .configurationError(
                        .database(
                            DatabaseError(
                                kind: .statement, code: 0, message: "the account statement returned fewer than two columns"))))
            case .failure(let failure):
                return .failed(decision(for: failure))
            }
            readByAuthentication = false
        }
        let bits = AccountStatus.bits(statusValue: status.value, passwordIsNull: status.passwordIsNull)
        let verdict = AccountStatus.verdict(bits: bits)
        // Escaped only when a line is logged: this runs on every login.
        func userForLog() -> String { LogText.userName(user) }
        switch verdict {
        case .expired:
            log(.notice, "account of user \"\(userForLog())\" has expired (status \(bits))")
        case .newPasswordRequired, .passwordExpired:
            log(.notice, "user \"\(userForLog())\" must change the password (status \(bits))")
        case .allowed:
            log.trace("account status \(bits): allowed")
        }
        return .status(verdict, bits: bits, readByAuthentication: readByAuthentication)
    }
}
