import PAMMySQLCore

/// LOGIN as Dovecot's `mech-login.c` runs it: `Username:`, then `Password:`; an initial response
/// is the user name, so the first prompt is skipped.
enum DovecotLoginMechanism {
    static func start() -> DovecotMechanismStep {
        .challenge(DovecotReply.loginUserPrompt, then: .loginUser)
    }

    static func response(_ data: SecretBytes, in state: DovecotMechanismState) -> DovecotMechanismStep {
        switch state {
        case .loginPassword(let user):
            return .credentials(user: user, password: data)
        case .loginUser, .plainResponse:
            // A user name is no secret, but it came in the same kind of buffer as a password.
            let user = data.withUnsafeBytes { Array($0) }
            guard DovecotUserName.isAcceptable(user) else { return .refused(user: nil, reason: "Invalid username") }
            return .challenge(DovecotReply.loginPasswordPrompt, then: .loginPassword(user: user))
        }
    }
}
