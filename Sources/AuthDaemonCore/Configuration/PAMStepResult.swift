/// What one step returned. `Failure` is the daemon's own detail (wrong password, unknown user,
/// database unreachable…), carried through to the verdict unchanged.
public enum PAMStepResult<Failure> {
    case success
    case failure(Failure)
    /// PAM_IGNORE: the step does not count (libpam's `ignore` for all three controls).
    case ignore
}
