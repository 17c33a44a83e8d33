import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The saslauthd link of a Cyrus smtpd service: the running instance whose socket is the one
/// smtpd opens (inside its chroot when chrooted), its flags and /etc/default/saslauthd's,
/// `-r` against the table's names, a connect() as the mail owner, and with the
/// administrator's password one request in saslauthd's protocol.
struct SaslauthdLink {
    let report: Report
    let environment: ChainEnvironment
    let user: String?
    let password: SecretBytes?

    /// The saslauthd link; the flags of the instance smtpd reaches, nil when there is none.
    func follow(
        _ service: PostfixService, _ configuration: PostfixConfiguration, socketPath: String, file: String, saslService: String
    ) -> SaslauthdFlags? {
        let host = configuration.socketHostPath(socketPath, chrooted: service.chrooted)
        let seenFrom = service.chrooted ? "smtpd (chrooted to \(configuration.queueDirectory)) opens \(host)" : "smtpd opens \(host)"
        let processes = SaslauthdProcess.running(procRoot: environment.procRoot)
        let directory = FileSystem.realPath(FileSystem.directory(of: host))
        let instance = processes.first { directory != nil && FileSystem.realPath($0.flags.runDirectory) == directory }
        let defaults = SaslauthdDefaults.read(environment.saslauthdDefaults)
        guard let instance else {
            let wanted = FileSystem.directory(of: host)
            let outside = processes.first {
                service.chrooted && socketPath.hasPrefix("/")
                    && FileSystem.realPath($0.flags.runDirectory) == FileSystem.realPath(FileSystem.directory(of: socketPath))
            }
            if let outside {
                report.fail(
                    "saslauthd socket",
                    "saslauthd (pid \(outside.pid)) listens at \(outside.flags.socketPath), outside Postfix's chroot; \(seenFrom), "
                        + "which does not exist: smtpd logs \"cannot connect to saslauthd server: No such file or directory\", "
                        + "SMTP 454 4.7.0 Temporary authentication failure",
                    fix:
                        "run saslauthd with -m \(wanted) (OPTIONS in \(environment.saslauthdDefaults)), or chroot n for \(service.label) in master.cf"
                )
            } else if processes.isEmpty {
                report.fail(
                    "saslauthd running",
                    "no saslauthd process; \(seenFrom): smtpd logs \"cannot connect to saslauthd server\", "
                        + "SMTP 454 4.7.0 Temporary authentication failure",
                    fix: "systemctl enable --now saslauthd, with -a pam -r -m \(wanted) (\(environment.saslauthdDefaults)"
                        + "\(defaults?.startDisabled == true ? ": it says START=no" : ""))")
            } else {
                report.fail(
                    "saslauthd socket",
                    "no saslauthd listens where \(seenFrom) (running: "
                        + processes.map { "pid \($0.pid) at \($0.flags.socketPath)" }.joined(separator: ", ") + "): SMTP 454 4.7.0",
                    fix: "run saslauthd with -m \(wanted), or point saslauthd_path in \(file) at its socket")
            }
            return nil
        }
        let flags = instance.flags
        report.ok("saslauthd running", "pid \(instance.pid): \(flags.summary)")
        if flags.mechanism != "pam" {
            report.fail(
                "saslauthd -a", "-a \(flags.mechanism ?? "(none)"): saslauthd does not ask PAM, so pam_mysql is never used",
                fix: "MECHANISMS=\"pam\" in \(environment.saslauthdDefaults), then restart saslauthd")
        }
        checkRealmFlag(flags, saslService: saslService)
        if let defaults {
            let sameDirectory = FileSystem.realPath(defaults.flags.runDirectory) == FileSystem.realPath(flags.runDirectory)
            if defaults.flags.realm != flags.realm || !sameDirectory || defaults.flags.mechanism != flags.mechanism {
                report.warn(
                    "saslauthd defaults",
                    "\(defaults.path) starts it with \(defaults.flags.summary), not as it runs now: the next restart changes the chain",
                    fix: "make MECHANISMS and OPTIONS in \(defaults.path) match \(flags.summary)")
            }
        }
        guard FileSystem.isSocket(host) else {
            report.fail(
                "saslauthd socket", "no socket at \(host) (saslauthd's -m directory has no mux): SMTP 454 4.7.0",
                fix: "restart saslauthd")
            return flags
        }
        report.ok("saslauthd socket", seenFrom)
        guard
            MailOwnerReachability(report: report).check(host: host, inside: socketPath, service: service, configuration, what: "saslauthd")
        else { return flags }
        roundTrip(host: host, saslService: saslService, configuration)
        return flags
    }

    private func checkRealmFlag(_ flags: SaslauthdFlags, saslService: String) {
        if flags.realm {
            report.ok("saslauthd -r", "set: user@domain reaches PAM whole")
            return
        }
        let lines = environment.pamModuleLines(saslService)
        let domainNames = lines.flatMap { DomainNameProbe.namesCarryDomain($0) }
        let fix = "add -r to OPTIONS in \(environment.saslauthdDefaults), then restart saslauthd"
        if let user, user.contains("@") {
            let login = SaslauthdClient.split(user).login
            report.fail(
                "saslauthd -r",
                "not set: for \"\(user)\" PAM is handed \"\(login)\" (the realm is dropped)"
                    + (domainNames == true ? " while the table's names carry @domain" : "")
                    + ": pam_mysql finds no row, SMTP 535 5.7.8 Error: authentication failed", fix: fix)
        } else if domainNames == true {
            report.fail(
                "saslauthd -r",
                "not set, and the table's names carry @domain: PAM is handed only the part before the @, pam_mysql finds no row, "
                    + "SMTP 535 5.7.8 Error: authentication failed", fix: fix)
        } else {
            report.ok("saslauthd -r", "not set; the table's names have no @domain, so the bare login is what PAM needs")
        }
    }

    /// With a password given by the administrator: one request as libsasl sends it (to
    /// saslauthd, or to pam-mysql-authd on saslauthd's socket: the same protocol).
    func roundTrip(host: String, saslService: String, _ configuration: PostfixConfiguration) {
        guard let user, let password else {
            report.info("(give USER and --password for a round trip through saslauthd; a password is only ever sent when given)")
            return
        }
        let (login, realm) = SaslauthdClient.split(configuration.qualifiedUser(user))
        let request = "login \"\(login)\" realm \"\(realm)\" service \(saslService)"
        switch SaslauthdClient.check(socket: host, login: login, password: password, service: saslService, realm: realm) {
        case .accepted(let reply):
            report.ok("saslauthd round trip", "\(reply) for \(request)")
        case .refused(let reply):
            report.fail(
                "saslauthd round trip", "\"\(reply)\" for \(request): SMTP 535 5.7.8 Error: authentication failed",
                fix: "see the PAM and database lines below (and the auth log)")
        case .broken(let why):
            report.fail(
                "saslauthd round trip", "\(why) for \(request): SMTP 454 4.7.0 Temporary authentication failure",
                fix: "restart saslauthd and see its log")
        }
    }
}
