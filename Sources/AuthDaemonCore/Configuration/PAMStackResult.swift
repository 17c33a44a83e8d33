/// The verdict of one stack (`pam_authenticate` or `pam_acct_mgmt`).
public enum PAMStackResult<Failure> {
    case success
    case failure(PAMStackFailure<Failure>)

    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
