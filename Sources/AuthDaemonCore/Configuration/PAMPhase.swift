/// Which libpam call a step belongs to: `pam_authenticate` or `pam_acct_mgmt`.
public enum PAMPhase: String, Sendable, Equatable {
    case authenticate = "auth"
    case account
}
