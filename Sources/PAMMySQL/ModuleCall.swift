import PAMMySQLCore
internal import CPAM

/// The PAM functions, in the order of `enum pam_mysql_call` in the C shim.
enum PAMCall: Int32 {
    case authenticate = 0
    case setcred = 1
    case accountManagement = 2
    case openSession = 3
    case closeSession = 4
    case changeAuthToken = 5

    var functionName: String {
        switch self {
        case .authenticate: "pam_sm_authenticate"
        case .setcred: "pam_sm_setcred"
        case .accountManagement: "pam_sm_acct_mgmt"
        case .openSession: "pam_sm_open_session"
        case .closeSession: "pam_sm_close_session"
        case .changeAuthToken: "pam_sm_chauthtok"
        }
    }
}

/// Everything one PAM call works with: the handle, its context, the flags and the user.
struct ModuleCall {
    let pam: PAMHandle
    let context: ModuleContext
    let flags: Int32
    let user: [UInt8]

    var options: ModuleOptions { context.options }

    func log(_ priority: LogPriority, _ message: String) {
        pam.log(priority, message)
    }

    /// Step-by-step tracing, only with `verbose`/`debug`. Never given a secret.
    func trace(_ message: String) {
        if options.verbose { pam.log(.debug, message) }
    }

    var userForLog: String { LogText.escaped(bytes: user, limit: 64) }

    var disallowsNullAuthToken: Bool { flags & Int32(bitPattern: UInt32(PAM_DISALLOW_NULL_AUTHTOK)) != 0 }

    /// Logs a database failure once and says what PAM hears.
    func outcome(for error: DatabaseError) -> Outcome {
        log(.err, "MySQL error (\(LogText.escaped(error.message, limit: 256)))")
        return error.kind == .unavailable ? .authInfoUnavailable : .serviceError
    }
}
