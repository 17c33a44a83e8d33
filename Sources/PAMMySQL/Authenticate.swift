import PAMMySQLCore

extension ModuleCall {
    /// `pam_sm_authenticate`, with pam_mysql's flow: the token of an earlier module first
    /// (`try_first_pass`, the default, or `use_first_pass`), else the `Password:` prompt.
    func authenticate() -> Outcome {
        if options.useFirstPass || options.tryFirstPass {
            let token: SecretBytes?
            switch pam.authToken() {
            case .failure: return .authError
            case .success(let value): token = value
            }
            if token != nil || options.useFirstPass {
                // pam_mysql also ran this query when no module had set a token, only to prompt
                // afterwards; with try_first_pass we go straight to the prompt instead.
                trace(token == nil ? "use_first_pass without a token" : "trying the token of an earlier module")
                let firstPass = checkPassword(token)
                sqlLog(firstPass == .match ? .authenticationSuccessFirstPass : .authenticationFailureFirstPass)
                switch firstPass {
                case .match: return .success
                case .failed(let outcome): return outcome
                case .userUnknown where options.useFirstPass: return .userUnknown
                case .mismatch where options.useFirstPass:
                    logFailure()
                    return .authError
                case .userUnknown, .mismatch: break
                }
            }
        }

        let answer: SecretBytes
        switch pam.promptHidden("Password:") {
        case .failure:
            log(.err, "conversation failed while asking for the password")
            return decideWithoutPassword(otherwise: .serviceError)
        case .success(nil):
            trace("the application gave no password")
            return decideWithoutPassword(otherwise: .authError)
        case .success(let typed?):
            answer = typed
        }
        // Stored even before checking, as pam_mysql does, so later modules can use_first_pass.
        _ = pam.setAuthToken(answer)
        let check = checkPassword(answer)
        sqlLog(check == .match ? .authenticationSuccess : .authenticationFailure)
        switch check {
        case .match: return .success
        case .userUnknown: return .userUnknown
        case .mismatch:
            logFailure()
            return .authError
        case .failed(let outcome): return outcome
        }
    }

    /// No password came from the conversation. pam_mysql had already looked the user up before
    /// prompting, and that lookup decided first (a database failure, two rows, a NULL password
    /// with `nullok`); we prompt first, so the lookup runs only now, on this rare path, and the
    /// results stay pam_mysql's.
    private func decideWithoutPassword(otherwise fallback: Outcome) -> Outcome {
        guard options.tryFirstPass else { return fallback }
        switch checkPassword(nil) {
        case .match: return .success
        case .failed(let outcome): return outcome
        case .userUnknown, .mismatch: return fallback
        }
    }

    private func logFailure() {
        log(.notice, "authentication failure for user \"\(userForLog)\"")
    }
}
