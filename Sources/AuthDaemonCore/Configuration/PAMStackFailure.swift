/// Why a stack failed, as libpam decides it: the first failure of a required or requisite step.
public enum PAMStackFailure<Failure> {
    /// A pam_mysql step on `line` failed with the daemon's `Failure`.
    case module(line: Int, Failure)
    /// `pam_deny.so` on `line`.
    case denied(line: Int)
    /// No step succeeded or failed in a way that counts (only sufficient steps, all failed):
    /// libpam's PAM_PERM_DENIED ("PAM_MUST_FAIL_CODE").
    case noSuccess
}
