import AccountDatabase
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
                let firstPass = session.decideLogin(request(token), cache: verificationCache)
                sqlLog(firstPass.isAccepted ? .authenticationSuccessFirstPass : .authenticationFailureFirstPass)
                switch firstPass {
                case .accepted: return .success
                case .temporaryFailure, .configurationError: return Outcome(firstPass)
                case .refused(.unknownUser) where options.useFirstPass: return .userUnknown
                case .refused where options.useFirstPass:
                    logFailure()
                    return .authError
                case .refused: break
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
        let decision = session.decideLogin(request(answer), cache: verificationCache)
        sqlLog(decision.isAccepted ? .authenticationSuccess : .authenticationFailure)
        if case .refused(let refusal) = decision, refusal != .unknownUser { logFailure() }
        return Outcome(decision)
    }

    /// No password came from the conversation. pam_mysql had already looked the user up before
    /// prompting, and that lookup decided first (a database failure, two rows, a NULL password
    /// with `nullok`); we prompt first, so the lookup runs only now, on this rare path, and the
    /// results stay pam_mysql's.
    private func decideWithoutPassword(otherwise fallback: Outcome) -> Outcome {
        guard options.tryFirstPass else { return fallback }
        switch session.decideLogin(request(nil)) {
        case .accepted: return .success
        case let failure where failure.isFailure: return Outcome(failure)
        default: return fallback
        }
    }

    private func logFailure() {
        log(.notice, "authentication failure for user \"\(userForLog)\"")
    }
}

extension LoginDecision {
    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }

    /// A temporary failure or a configuration error: neither the user's doing.
    var isFailure: Bool {
        switch self {
        case .temporaryFailure, .configurationError: true
        case .accepted, .refused: false
        }
    }
}
