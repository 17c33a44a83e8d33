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
    /// scheme of `crypt=` compares the password with the stored value. With `query` the SELECT
    /// is the administrator's, its Dovecot variables bound as parameters.
    /// - Parameter password: nil when there is no token (only `use_first_pass` asks then).
    func checkPassword(_ password: SecretBytes?) -> PasswordCheckResult {
        let row: [SecretBytes?]
        let lookup =
            options.query.map { selectSingleRow($0.sql, parameters: $0.parameters(for: user)) }
            ?? selectSingleRow(SQLStatements.passwordQuery(options))
        let context = VerificationContext(
            useMySQL323: options.use323Passwd, userName: user, defaultPassScheme: options.defaultPassScheme,
            allowWeakSchemes: options.allowWeakSchemes)
        switch lookup {
        case .success(let found): row = found
        case .failure(.userUnknown):
            if let password, password.count <= maximumPasswordLength {
                _ = PasswordSchemes.verify(
                    mode: options.crypt, password: password, stored: PasswordSchemes.decoyStoredValue(for: options.crypt),
                    context: context)
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
        let verification = PasswordSchemes.verify(mode: options.crypt, password: password, stored: stored, context: context)
        switch verification {
        case .match:
            trace("password verified with \(options.crypt.label)")
            return .match
        case .mismatch:
            return .mismatch
        case .malformed(let reason):
            log(.err, "stored password of user \"\(userForLog)\" is not a valid \(options.crypt.label) value: \(reason)")
            // The one place the mode decides: pam_mysql's modes count it as a wrong password.
            let outcome = options.crypt.malformedOutcome
            return outcome == .authError ? .mismatch : .failed(outcome)
        }
    }
}
