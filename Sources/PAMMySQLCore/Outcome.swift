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
