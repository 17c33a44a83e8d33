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
    ///
    /// - Parameter password: nil when there is no token (only `use_first_pass` asks then).
    func checkPassword(_ password: SecretBytes?) -> PasswordCheckResult {
        let context = VerificationContext(
            useMySQL323: options.use323Passwd, userName: user, defaultPassScheme: options.defaultPassScheme,
            allowWeakSchemes: options.allowWeakSchemes)
        let row: [SecretBytes?]
        switch lookupPasswordRow() {
        case .success(let found): row = found
        case .failure(.userUnknown):
            log(.err, "SELECT returned no result.")
            if let password, password.count <= maximumPasswordLength {
                _ = PasswordSchemes.verify(mode: options.crypt, password: password, stored: decoyStoredValue(), context: context)
            }
            return .userUnknown
        case .failure(let failure): return .failed(outcome(for: failure))
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
        // An empty stored password is refused like a NULL one unless nullok allows it
        // (pam_mysql let an empty answer in with crypt=0 whatever the flags said).
        guard !stored.isEmpty || emptyStoredPasswordIsAllowed() else { return .mismatch }
        guard let password else { return .mismatch }
        guard password.count <= maximumPasswordLength else {
            log(.notice, "password for user \"\(userForLog)\" refused: longer than \(maximumPasswordLength) bytes")
            return .mismatch
        }
        let verification = PasswordSchemes.verify(mode: options.crypt, password: password, stored: stored, context: context)
        if verification == .match || verification == .mismatch {
            DecoyMemory.noteVerified(stored, mode: options.crypt, defaultPassScheme: options.defaultPassScheme)
        }
        switch verification {
        case .match:
            trace("password verified with \(options.crypt.label)")
            return .match
        case .mismatch:
            return .mismatch
        case .storedSecretIsEmpty:
            // `{PLAIN}` with nothing after it: the same rule as an empty column.
            guard emptyStoredPasswordIsAllowed() else { return .mismatch }
            return password.isEmpty ? .match : .mismatch
        case .malformed(let reason):
            log(.err, "stored password of user \"\(userForLog)\" is not a valid \(options.crypt.label) value: \(reason)")
            // The one place the mode decides: pam_mysql's modes count it as a wrong password.
            let outcome = options.crypt.malformedOutcome
            return outcome == .authError ? .mismatch : .failed(outcome)
        }
    }
}

extension ModuleCall {
    /// What an unknown user's password is verified against: `decoy_hash` when set (and of
    /// this mode's kind), else the method and cost of the last value verified in this process,
    /// else the mode's fixed decoy (SHA-512-crypt for crypt=1 and crypt=dovecot).
    fileprivate func decoyStoredValue() -> SecretBytes {
        let mode = options.crypt
        return options.decoyHash?.storedValue(for: mode) ?? DecoyMemory.last(for: mode)?.storedValue(for: mode)
            ?? PasswordSchemes.decoyStoredValue(for: mode)
    }

    /// Debian's rule for NULL passwords, applied to empty ones too: only with `nullok`, and only
    /// when the application did not pass PAM_DISALLOW_NULL_AUTHTOK. Logs the refusal.
    fileprivate func emptyStoredPasswordIsAllowed() -> Bool {
        if options.nullOK && !disallowsNullAuthToken { return true }
        let why = options.nullOK ? "the application passed PAM_DISALLOW_NULL_AUTHTOK" : "nullok is not set"
        log(.notice, "user \"\(userForLog)\" has an empty stored password: refused (\(why))")
        return false
    }
}

extension ModuleCall {
    /// The row whose first column is the stored password.
    ///
    /// It is read with pam_mysql's account statement (`SELECT statcolumn, passwdcolumn …`), so
    /// the account line of the same login finds its answer already read: one query per login.
    /// pam_mysql's authentication never evaluated `statcolumn`, so when that statement fails
    /// with an SQL error (a `statcolumn` only the account line can use), or `statcolumn` could
    /// change the row count (an aggregate), the password statement of pam_mysql decides alone.
    fileprivate func lookupPasswordRow() -> Result<[SecretBytes?], LookupFailure> {
        // An administrator's `query` (crypt=dovecot) replaces the password look-up entirely.
        if let query = options.query { return lookupRow(query.sql, parameters: query.parameters(for: user)) }
        guard SQLStatements.statusColumnIsRowLevel(options) else { return lookupRow(SQLStatements.passwordQuery(options)) }
        let combined = SQLStatements.statusQuery(options)
        switch lookupRow(combined) {
        case .success(let found) where found.count >= 2:
            context.accountRow = ModuleContext.AccountRow(
                user: user, sql: combined, identity: ConnectionIdentity(options), statusValue: found[0],
                passwordIsNull: found[1] == nil)
            return .success(Array(found.dropFirst()))
        case .failure(.database(let error)) where error.kind == .statement:
            trace("the status column cannot be read with the password (\(LogText.escaped(error.message))); using the password query")
            return lookupRow(SQLStatements.passwordQuery(options))
        case .success:
            return lookupRow(SQLStatements.passwordQuery(options))
        case .failure(let failure):
            return .failure(failure)
        }
    }
}
