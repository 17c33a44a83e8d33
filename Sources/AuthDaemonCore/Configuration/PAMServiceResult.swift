/// The verdict of one request: the auth stack, then the account stack.
public enum PAMServiceResult<Failure> {
    case success
    /// The password was refused (or the auth stack failed otherwise).
    case authenticationFailed(PAMStackFailure<Failure>)
    /// The password was good but the account check refused the login.
    case accountFailed(PAMStackFailure<Failure>)
}
