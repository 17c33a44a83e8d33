/// What a PAM call of this module ends with. Every flow returns one of these, and `pamCode`
/// is the only place that turns them into Linux-PAM's numbers (`<security/_pam_types.h>`,
/// pinned by a test against the header).
public enum Outcome: Error, Equatable, Sendable, CaseIterable {
    case success
    case serviceError
    case systemError
    case bufferError
    case permissionDenied
    case authError
    case authInfoUnavailable
    case userUnknown
    case newAuthtokRequired
    case accountExpired
    case authtokRecoveryError
    case authtokError
    case authtokLockBusy
    case tryAgain
    case ignore
    case authtokExpired
    case conversationError
    case abort
    case conversationAgain
    case incomplete

    public var pamCode: Int32 {
        switch self {
        case .success: 0
        case .serviceError: 3
        case .systemError: 4
        case .bufferError: 5
        case .permissionDenied: 6
        case .authError: 7
        case .authInfoUnavailable: 9
        case .userUnknown: 10
        case .newAuthtokRequired: 12
        case .accountExpired: 13
        case .authtokRecoveryError: 21
        case .authtokLockBusy: 22
        case .authtokError: 20
        case .tryAgain: 24
        case .ignore: 25
        case .authtokExpired: 27
        case .conversationError: 19
        case .abort: 26
        case .conversationAgain: 30
        case .incomplete: 31
        }
    }
}

/// The answers a password check can give: Dovecot's three (match, mismatch, invalid stored
/// value), plus one that leaves a policy decision to the caller.
public enum VerificationResult: Equatable, Sendable {
    case match
    case mismatch
    /// The stored value is well-formed but its secret is empty (`{PLAIN}` with nothing after
    /// the prefix, or a `.b64`/`.hex` body that decodes to nothing): only an empty password
    /// could match. Whether one may is PAM policy (`nullok`, PAM_DISALLOW_NULL_AUTHTOK), which
    /// the core does not know, so the verifier reports it instead of answering `.match`.
    case storedSecretIsEmpty
    /// The stored value cannot be what the scheme expects; the reason names the defect,
    /// never the value.
    case malformed(String)
}
