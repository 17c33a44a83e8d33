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

/// A step-by-step trace sink whose message is only built when tracing is on.
typealias Trace = (@autoclosure () -> String) -> Void

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

    /// Step-by-step tracing, only with `verbose`/`debug`. Never given a secret. The message is
    /// built only when it is logged: escaping the SQL text for a trace nobody reads cost more
    /// per login than the rest of the module's own work.
    func trace(_ message: @autoclosure () -> String) {
        if options.verbose { pam.log(.debug, message()) }
    }

    var userForLog: String { LogText.escaped(bytes: user, limit: 64) }

    var disallowsNullAuthToken: Bool { flags & Int32(bitPattern: UInt32(PAM_DISALLOW_NULL_AUTHTOK)) != 0 }

    /// Why a lookup found no single row.
    enum LookupFailure: Error {
        case userUnknown
        case multipleRows(UInt64)
        case database(DatabaseError)
    }

    /// Runs a one-parameter SELECT for the user with pam_mysql's row rule: no row is an unknown
    /// user, exactly one row is the answer, more rows are an error (pam_mysql 0.8.2 used the
    /// first of three or more). Logs nothing. The parameters default to the user name alone (the
    /// built statements); a `query` passes its own.
    func lookupRow(_ sql: String, parameters: [SecretBytes]? = nil) -> Result<[SecretBytes?], LookupFailure> {
        trace("query: \(LogText.escaped(sql, limit: 1024))")
        switch context.execute(sql, parameters: parameters ?? [SecretBytes(user)], trace: trace, log: log) {
        case .failure(let error): return .failure(.database(error))
        case .success(let lookup) where lookup.rowCount == 0: return .failure(.userUnknown)
        case .success(let lookup) where lookup.rowCount > 1: return .failure(.multipleRows(lookup.rowCount))
        case .success(let lookup): return .success(lookup.firstRow)
        }
    }

    /// `lookupRow` with pam_mysql's log lines and PAM codes for each failure.
    func selectSingleRow(_ sql: String, parameters: [SecretBytes]? = nil) -> Result<[SecretBytes?], Outcome> {
        lookupRow(sql, parameters: parameters).mapError(outcome(for:))
    }

    /// Logs a lookup failure once and says what PAM hears.
    func outcome(for failure: LookupFailure) -> Outcome {
        switch failure {
        case .userUnknown:
            log(.err, "SELECT returned no result.")
            return .userUnknown
        case .multipleRows(let count):
            log(.err, "SELECT returned an indetermined result. (\(count) rows: the user column must be unique)")
            return .serviceError
        case .database(let error):
            return outcome(for: error)
        }
    }

    /// Logs a database failure once and says what PAM hears.
    func outcome(for error: DatabaseError) -> Outcome {
        log(.err, "MySQL error (\(LogText.escaped(error.message, limit: 256)))")
        return error.kind == .unavailable ? .authInfoUnavailable : .serviceError
    }
}
