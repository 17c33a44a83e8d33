import AccountDatabase
import PAMMySQLCore

extension ModuleCall {
    /// `pam_sm_acct_mgmt`: the status bits of `statcolumn` (and a NULL password); nothing is
    /// prompted and the password is not checked.
    func manageAccount() -> Outcome {
        let decision = session.decideAccount(user: user)
        if case .status = decision {
            sqlLog(.queryingSuccess)
        } else {
            sqlLog(.queryingFailure)
        }
        return Outcome(decision)
    }
}
