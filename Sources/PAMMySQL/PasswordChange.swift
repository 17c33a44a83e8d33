import AccountDatabase
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

extension ModuleCall {
    private func has(_ flag: PAMFlags) -> Bool { flags.contains(flag) }

    /// `pam_sm_chauthtok`, in pam_mysql's order: libpam calls it with PAM_PRELIM_CHECK (can we
    /// reach the database?) and then with PAM_UPDATE_AUTHTOK (the change itself).
    ///
    /// Fixed here: the old password is always verified unless the caller is real uid 0 (with
    /// `use_first_pass` and no old token pam_mysql skipped it); an old token that verifies is not
    /// asked for again; an empty or missing new password is refused instead of crashing or being
    /// stored; every mode stores a valid hash of its kind with a random salt.
    func changeAuthToken() -> Outcome {
        if has(.preliminaryCheck) {
            if case .failure(let error) = session.connect() {
                _ = session.decision(for: error)
                return .tryAgain
            }
            return .success
        }
        guard has(.updateAuthToken) else { return .success }
        if case .failure(let error) = session.connect() {
            _ = session.decision(for: error)
            return error.kind == .unavailable ? .permissionDenied : .serviceError
        }
        guard geteuid() == 0 else {
            log(.err, "User is not allowed to change the authentication token.")
            return .permissionDenied
        }

        let row: [SecretBytes?]
        switch session.lookupRow(session.statusStatement, parameters: [SecretBytes(user)]) {
        case .success(let found) where found.count >= 2:
            sqlLog(.queryingSuccess)
            row = found
        case .success:
            sqlLog(.queryingFailure)
            return .permissionDenied
        case .failure(let failure):
            _ = session.decision(for: failure)
            sqlLog(.queryingFailure)
            return .permissionDenied
        }
        let bits = AccountStatus.bits(statusValue: row[0], passwordIsNull: row[1] == nil)
        if !has(.changeExpiredAuthToken), bits & AccountStatus.expiredBit != 0 {
            log(.notice, "account of user \"\(userForLog)\" has expired: password not changed")
            return .authtokLockBusy
        }
        if getuid() != 0, row[1] != nil {
            if let refusal = verifyOldPassword() { return refusal }
        }

        let newPassword: SecretBytes
        var prompted = false
        switch obtainNewPassword() {
        case .failure(let outcome): return outcome
        case .success(let (password, wasPrompted)):
            newPassword = password
            prompted = wasPrompted
        }

        let stored: SecretBytes
        switch NewPasswordHash.make(
            mode: options.crypt, password: newPassword, cryptMethod: options.cryptMethod, md5: options.md5,
            useMySQL323: options.use323Passwd)
        {
        case .failure(let error):
            log(.err, "cannot store a \(options.crypt.label) password: \(error.reason)")
            sqlLog(.alterationFailure)
            return .authtokError
        case .success(let value): stored = value
        }
        let sql = SQLStatements.passwordUpdate(options)
        trace("update: \(LogText.escaped(sql, limit: 1024))")
        switch session.execute(sql, parameters: [stored, SecretBytes(user)]) {
        case .failure(let error):
            _ = session.decision(for: error)
            sqlLog(.alterationFailure)
            return .authtokError
        case .success(let updated) where updated.rowCount == 0:
            // The row went away (or no longer matches `where`) since it was read.
            log(.err, "password of user \"\(userForLog)\" not changed: the UPDATE matched no row")
            sqlLog(.alterationFailure)
            return .authtokError
        case .success:
            break
        }
        // The status read before the change may be stale now (a trigger may clear bit 1).
        session.accountRow = nil
        sqlLog(.alterationSuccess)
        log(.notice, "password changed for user \"\(userForLog)\"")
        if prompted { pam.setToken(.current, newPassword) }
        return .success
    }

    /// Checks the old password (from an earlier module, else asked for); nil when it verifies.
    private func verifyOldPassword() -> Outcome? {
        if options.useFirstPass || options.tryFirstPass, case .success(let old?) = pam.token(.old) {
            let decision = session.decideLogin(request(old))
            switch decision {
            case .accepted: return nil
            case .refused(.unknownUser), .temporaryFailure, .configurationError: return Outcome(decision)
            case .refused where options.useFirstPass: return .authError
            case .refused: break
            }
        }
        guard !options.useFirstPass else {
            log(.err, "use_first_pass is set but no earlier module supplied the old password")
            return .authtokRecoveryError
        }
        guard !has(.silent) else { return .authtokRecoveryError }
        let answer: SecretBytes
        switch pam.promptHidden("Current Password:") {
        case .failure, .success(nil): return .authtokRecoveryError
        case .success(let typed?): answer = typed
        }
        let decision = session.decideLogin(request(answer))
        switch decision {
        case .accepted:
            pam.setToken(.old, answer)
            return nil
        case .refused(.unknownUser), .temporaryFailure, .configurationError: return Outcome(decision)
        case .refused:
            log(.notice, "password change for user \"\(userForLog)\" refused: wrong current password")
            return .authError
        }
    }

    /// The new password: from an earlier module (`PAM_AUTHTOK`), else asked for twice.
    private func obtainNewPassword() -> Result<(SecretBytes, Bool), Outcome> {
        if case .success(let token?) = pam.token(.current) { return .success((token, false)) }
        guard !options.useFirstPass, !has(.silent) else { return .failure(.authtokRecoveryError) }
        guard case .success(let first?) = pam.promptHidden("New Password:"), !first.isEmpty else {
            log(.notice, "password change for user \"\(userForLog)\" refused: no new password given")
            return .failure(.authtokRecoveryError)
        }
        guard case .success(let second?) = pam.promptHidden("Retype New Password:"), second.constantTimeEquals(first) else {
            log(.notice, "password change for user \"\(userForLog)\" refused: the new passwords differ")
            return .failure(.authtokRecoveryError)
        }
        return .success((first, true))
    }
}
