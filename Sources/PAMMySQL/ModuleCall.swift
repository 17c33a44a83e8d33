import AccountDatabase
import PAMMySQLCore

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
    let flags: PAMFlags
    let user: [UInt8]

    var options: ModuleOptions { context.options }
    var session: DatabaseSession { context.session }

    func log(_ priority: LogPriority, _ message: String) {
        pam.log(priority, message)
    }

    /// Step-by-step tracing, only with `verbose`/`debug`; the message is built only then.
    func trace(_ message: @autoclosure () -> String) {
        session.log.trace(message())
    }

    var userForLog: String { LogText.userName(user) }

    /// The login request of this call for `password`.
    func request(_ password: SecretBytes?) -> LoginRequest {
        LoginRequest(user: user, password: password, disallowsEmptyPassword: flags.contains(.disallowNullAuthToken))
    }

    /// `verify_cache=SECONDS`: the process's verification cache, under this PAM service; nil
    /// when the option is off (the default).
    var verificationCache: VerificationCacheUse? {
        guard options.verifyCacheSeconds > 0, let cache = VerificationCache.shared else { return nil }
        return VerificationCacheUse(
            cache: cache, service: pam.serviceName() ?? "", ttlMilliseconds: Int64(options.verifyCacheSeconds) * 1000)
    }

    /// With `sqllog`, one row in the log table; PAM_RHOST is the remote host.
    func sqlLog(_ message: SQLLogMessage) {
        guard options.sqlLog else { return }
        session.writeSQLLog(message, user: user, remoteHost: options.logRHostColumn == nil ? nil : pam.remoteHost())
    }
}
