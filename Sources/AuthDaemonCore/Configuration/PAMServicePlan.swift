import PAMMySQLCore

/// What the daemon runs for one service: the auth stack, and the account stack after a good
/// password (empty only for a `[service]` section with `account = no`).
///
/// Options are carried as the module carries them within one PAM handle: each pam_mysql call
/// applies its line's arguments on top of the options of the calls before it, and then reads
/// its `config_file` (saslauthd runs `pam_authenticate` and then `pam_acct_mgmt` on the same
/// handle). The account steps' options therefore depend on where the auth stack stopped (a
/// `sufficient` success skips the lines after it); the plan holds one account stack per place
/// it can stop, all built when the plan is, so no file is read while answering a request.
/// Deliberate difference: the module re-reads `config_file` on every call; the daemon reads it
/// when it builds the plan (at the first request for the service after a start or a SIGHUP).
///
/// `@unchecked Sendable`: immutable once built (see `PAMStep`).
public struct PAMServicePlan: @unchecked Sendable {
    public let service: ServiceName
    /// `/etc/pam.d/smtp`, or `[service smtp] in /etc/pam-mysql-authd.conf`.
    public let origin: String
    public let authentication: [PAMStep]
    /// Keyed by the index of the last auth step run.
    let accountStacks: [Int: [PAMStep]]
    /// Warnings found while building (unknown options, a world-readable config file), each a
    /// complete log line; the plan is usable.
    public let notices: [AuthdNotice]

    /// A plan with one account stack whatever the auth stack did (a daemon's tests, or a plan
    /// built by hand); the readers build the others.
    public init(service: ServiceName, origin: String, authentication: [PAMStep], account: [PAMStep], notices: [AuthdNotice] = []) {
        self.init(
            service: service, origin: origin, authentication: authentication, accountStacks: [authentication.count - 1: account],
            notices: notices)
    }

    init(service: ServiceName, origin: String, authentication: [PAMStep], accountStacks: [Int: [PAMStep]], notices: [AuthdNotice]) {
        self.service = service
        self.origin = origin
        self.authentication = authentication
        self.accountStacks = accountStacks
        self.notices = notices
    }

    /// Whether a good password is followed by the account check.
    public var checksAccount: Bool {
        accountStacks.values.contains { !$0.isEmpty }
    }

    /// The account stack to run when the auth stack succeeded with `index` its last step run
    /// (`PAMStackEvaluator.lastIndexRun`).
    public func accountSteps(afterAuthenticationEndedAt index: Int) -> [PAMStep] {
        accountStacks[index] ?? accountStacks[authentication.count - 1] ?? []
    }
}
