import AuthDaemonCore
import PAMMySQLCore

/// How the daemon logs in a user of one service: the options of the service's `auth` line,
/// and those in force for the account check (the `account` line's arguments applied on top,
/// as the module carries its options from line to line), or none when there is no account line.
struct ServicePlan: @unchecked Sendable {
    let name: String
    let authentication: ModuleOptions
    let account: ModuleOptions?
}

/// A service the daemon answers for, or why it does not.
enum ServiceResolution: @unchecked Sendable {
    case plan(ServicePlan)
    case refused(LoginFailureReason)
}
