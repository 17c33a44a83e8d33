import PAMMySQLCore

/// The answer of one look-up-and-verify, before the flow decides what PAM hears.
enum PasswordCheckResult: Equatable {
    case match
    case mismatch
    case userUnknown
    case failed(Outcome)
}

extension ModuleCall {
    /// pam_mysql's `check_passwd`: one SELECT for the user, exactly one row expected, then the
    /// scheme of `crypt=` compares the password with the stored value.
    ///
    /// The SELECT is pam_mysql's account statement (`SELECT statcolumn, passwdcolumn …`), so the
    /// account line of the same login finds its answer already read: one query per login.
    /// - Parameter password: nil when there is no token (only `use_first_pass` asks then).
    func checkPassword(_ password: SecretBytes?) -> PasswordCheckResult {
        let row: [SecretBytes?]
        let sql = SQLStatements.statusQuery(options)
        switch selectSingleRow(sql) {
        case .success(let found) where found.count >= 2:
            context.accountRow = ModuleContext.AccountRow(user: user, sql: sql, row: found)
            row = Array(found.dropFirst())
        case .success: return .failed(.serviceError)
        case .failure(.userUnknown):
            if let password, password.count <= maximumPasswordLength {
                _ = PasswordSchemes.verify(
                    mode: options.crypt, password: password, stored: PasswordSchemes.decoyStoredValue(for: options.crypt),
                    context: VerificationContext(useMySQL323: options.use323Passwd))
            }
            return .userUnknown
        case .failure(let outcome): return .failed(outcome)
        }
        guard let stored = row.first ?? nil else {
            // Debian's fix of pam_mysql: NULL passwords need nullok and no PAM_DISALLOW_NULL_AUTHTOK.
            if options.nullOK && !disallowsNullAuthToken {
                log(.notice, "user \"\(userForLog)\" has a NULL password, accepted because of nullok")
                return .match
            }
            trace("stored password is NULL")
            return .mismatch
        }
        guard let password else { return .mismatch }
        guard password.count <= maximumPasswordLength else {
            log(.notice, "password for user \"\(userForLog)\" refused: longer than \(maximumPasswordLength) bytes")
            return .mismatch
        }
        let verification = PasswordSchemes.verify(
            mode: options.crypt, password: password, stored: stored,
            context: VerificationContext(useMySQL323: options.use323Passwd, userName: userForLog))
        switch verification {
        case .match:
            trace("password verified with crypt=\(options.crypt.rawValue) (\(options.crypt.name))")
            return .match
        case .mismatch:
            return .mismatch
        case .malformed(let reason):
            log(.err, "stored password of user \"\(userForLog)\" is not a valid crypt=\(options.crypt.rawValue) (\(options.crypt.name)) value: \(reason)")
            return .mismatch
        }
    }
}
