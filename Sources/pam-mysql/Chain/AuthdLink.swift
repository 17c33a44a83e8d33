import AuthDaemonCore
import PAMMySQLCore
import PAMStack

/// The links of a socket served by pam-mysql-authd instead of saslauthd or Dovecot: the
/// daemon (pid, configuration as its own loader reads it), `join_realm` where saslauthd would
/// have `-r`, and the service the daemon runs: its `[service]` section or its pam-dir's file,
/// through the daemon's `PAMServiceFileReader`, so a stack the daemon refuses is a FAIL with
/// the daemon's reason; then `Checker` on that file's pam_mysql lines. No libpam is involved,
/// so the module files of the lines are not looked for.
struct AuthdLink {
    let report: Report
    let user: String?
    let password: SecretBytes?
    let daemon: AuthdProcess

    init(report: Report, user: String?, password: SecretBytes?, server: SocketServer) {
        self.report = report
        self.user = user
        self.password = password
        self.daemon = AuthdProcess(server)
    }

    /// Cyrus with `pwcheck_method: saslauthd` on the daemon's saslauthd socket.
    func followSaslauthd(
        host: String, seenFrom: String, socketPath: String, _ service: PostfixService, _ configuration: PostfixConfiguration,
        saslService: String, link: SaslauthdLink
    ) {
        report.ok(
            "saslauthd socket",
            "served by \(daemon.server.label), not saslauthd; \(seenFrom) (saslauthd's flags do not apply: the daemon's configuration does)"
        )
        guard let loaded = loadConfiguration() else { return }
        let plan = servicePlan(saslService, loaded)
        checkJoinRealm(loaded, plan: plan)
        if MailOwnerReachability(report: report).check(
            host: host, inside: socketPath, service: service, configuration, what: "saslauthd")
        {
            link.roundTrip(host: host, saslService: saslService, configuration)
        }
        guard let plan else { return }
        var pamUser = user
        if let user {
            let (login, realm) = SaslauthdClient.split(configuration.qualifiedUser(user))
            let joined = SaslauthdUserName.join(login: Array(login.utf8), realm: Array(realm.utf8), joinsRealm: loaded.settings.joinRealm)
            pamUser = String(decoding: joined, as: UTF8.self)
        }
        checkModule(plan, loaded, user: pamUser)
    }

    /// Dovecot's protocol on the daemon's socket: the handshake and AUTH are checked by
    /// `DovecotLink`; here the daemon's configuration and service (the name as the client gives it).
    func followDovecot(saslService: String) {
        guard let loaded = loadConfiguration(), let plan = servicePlan(saslService, loaded) else { return }
        checkModule(plan, loaded, user: user)
    }

    // MARK: steps

    private func loadConfiguration() -> AuthdConfiguration? {
        let step = "pam-mysql-authd configuration"
        let file = daemon.commandLine.configFile ?? AuthdCommandLine.defaultConfigFile
        switch daemon.load() {
        case .failure(let failures):
            report.fail(
                step,
                failures.errors.map(\.message).joined(separator: "; ")
                    + ": the running daemon keeps its last good configuration, but refuses this one on SIGHUP and at its next start",
                fix: "correct \(file) (pam-mysql-authd --config \(file) --check-config lists every error)")
            return nil
        case .success(let loaded):
            let source = loaded.configFile ?? "no \(file), the defaults"
            report.ok(
                step,
                "\(source) (pid \(daemon.server.pid)), pam-dir \(loaded.settings.pamDir), join_realm \(loaded.settings.joinRealm ? "yes" : "no")"
            )
            for notice in loaded.notices {
                report.warn(step, notice.message)
            }
            return loaded
        }
    }

    /// The daemon's plan for the service, nil (after a FAIL naming the daemon's reason) when it refuses it.
    private func servicePlan(_ saslService: String, _ loaded: AuthdConfiguration) -> PAMServicePlan? {
        let step = "pam-mysql-authd service \(saslService)"
        let name: ServiceName
        do {
            name = try ServiceName(validating: saslService)
        } catch {
            report.fail(step, "\(error.message): the daemon refuses every request", fix: "set smtpd_sasl_service to a plain name (smtp)")
            return nil
        }
        switch loaded.plan(for: name) {
        case .failure(let refusal):
            report.fail(
                step,
                "the daemon refuses it: \(refusal.message); every AUTH gets 454 4.7.0 Temporary authentication failure "
                    + "(the daemon logs the same reason)",
                fix: "the daemon runs only auth and account lines of pam_mysql.so, pam_permit.so and pam_deny.so (no @include, "
                    + "no dashed lines): rewrite \(refusal.origin.isEmpty ? "the file" : refusal.origin), or add a [service \(saslService)] "
                    + "section to \(loaded.configFile ?? AuthdCommandLine.defaultConfigFile)")
            return nil
        case .success(let plan):
            report.ok(
                step,
                "\(plan.origin): \(plan.authentication.count) auth step(s), \(plan.checksAccount ? "then the account check" : "no account check")"
            )
            for notice in plan.notices {
                report.warn(step, notice.message)
            }
            return plan
        }
    }

    /// `join_realm` where saslauthd has `-r`: with `no`, user@domain reaches the table as `user`.
    private func checkJoinRealm(_ loaded: AuthdConfiguration, plan: PAMServicePlan?) {
        let step = "pam-mysql-authd join_realm"
        if loaded.settings.joinRealm {
            report.ok(step, "yes: user@domain reaches the table whole")
            return
        }
        let options = plan?.authentication.lazy.compactMap { step -> ModuleOptions? in
            if case .mysql(let options) = step.module { return options }
            return nil
        }.first
        let domainNames = options.flatMap { DomainNameProbe.namesCarryDomain($0) }
        let fix = "join_realm = yes in [daemon] of \(loaded.configFile ?? AuthdCommandLine.defaultConfigFile), then SIGHUP the daemon"
        if let user, user.contains("@") {
            report.fail(
                step,
                "no: for \"\(user)\" the daemon looks up \"\(SaslauthdClient.split(user).login)\" (the realm is dropped)"
                    + (domainNames == true ? " while the table's names carry @domain" : "")
                    + ": no row, SMTP 535 5.7.8 Error: authentication failed", fix: fix)
        } else if domainNames == true {
            report.fail(
                step,
                "no, and the table's names carry @domain: the daemon looks up only the part before the @, finds no row, "
                    + "SMTP 535 5.7.8 Error: authentication failed", fix: fix)
        } else {
            report.ok(step, "no; the table's names have no @domain, so the bare login is what the table needs")
        }
    }

    /// The module's checks on the service's pam_mysql lines (a pam.d file), or on its
    /// `[service]` section, whose options the daemon validated at load.
    private func checkModule(_ plan: PAMServicePlan, _ loaded: AuthdConfiguration, user pamUser: String?) {
        let checker = Checker(report: report, user: pamUser, password: password)
        guard !loaded.configuredServices.contains(plan.service), let text = Check.readText(plan.origin) else {
            let options = { (steps: [PAMStep]) in
                steps.compactMap { step -> ModuleOptions? in
                    if case .mysql(let options) = step.module { return options }
                    return nil
                }
            }
            let account = plan.checksAccount ? options(plan.accountSteps(afterAuthenticationEndedAt: plan.authentication.count - 1)) : []
            checker.check(
                resolved: options(plan.authentication).map { ("auth", $0) } + account.map { ("account", $0) }, origin: plan.origin)
            return
        }
        checker.check(PAMLine.ourLines(in: text), origin: plan.origin)
    }
}
