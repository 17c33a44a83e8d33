import PAMMySQLCore
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// `pam-mysql check --postfix`: follows SMTP AUTH the way Postfix will, for each smtpd
/// service of master.cf on its own (its `-o` overrides may change the SASL type, path or
/// service): Postfix's parameters, the Cyrus SASL application file, saslauthd (process,
/// flags, the socket as smtpd sees it from its chroot, a connect() as the mail owner, a round
/// trip), or Dovecot's auth socket; then the PAM service file, the module files libpam loads,
/// and the module and database checks of `Checker`. Each verdict names what the
/// administrator would otherwise see (the maillog line or the SMTP reply) and the fix.
struct PostfixChainCheck {
    let report: Report
    let environment: ChainEnvironment
    let configDirectory: String?
    let user: String?
    let password: SecretBytes?
    let smtp: String?

    /// PAM services (with the user name PAM sees) already checked for an earlier smtpd service.
    private var checkedPAM: Set<String> = []

    init(
        report: Report, environment: ChainEnvironment, configDirectory: String?, user: String?, password: SecretBytes?,
        smtp: String?
    ) {
        self.report = report
        self.environment = environment
        self.configDirectory = configDirectory
        self.user = user
        self.password = password
        self.smtp = smtp
    }

    mutating func run() {
        defer {
            if let smtp {
                report.info("== SMTP \(smtp)")
                SMTPProbe(report: report, address: smtp).run(user: user, password: password)
            }
        }
        let configuration: PostfixConfiguration
        switch PostfixConfiguration.load(configDirectory: configDirectory) {
        case .failure(let failure):
            report.fail(
                "Postfix configuration", failure.message,
                fix: "give the directory holding main.cf with --postfix-config (postconf -c DIR must work)")
            return
        case .success(let value): configuration = value
        }
        let services = configuration.services
        report.ok(
            "Postfix configuration",
            "\(configuration.configDirectory), queue_directory \(configuration.queueDirectory), smtpd services: "
                + (services.isEmpty ? "none" : services.map(\.label).joined(separator: ", ")))
        guard !services.isEmpty else {
            report.fail("Postfix services", "master.cf runs no smtpd", fix: "add the smtp (and submission) services to master.cf")
            return
        }
        let enabled = services.filter { configuration.isYes("smtpd_sasl_auth_enable", for: $0) }
        guard !enabled.isEmpty else {
            report.fail(
                "Postfix smtpd_sasl_auth_enable",
                "no on every smtpd service: EHLO offers no AUTH (swaks: \"Host did not advertise authentication\", "
                    + "Thunderbird: \"the server does not support the selected authentication method\")",
                fix: "postconf -e smtpd_sasl_auth_enable=yes, or -o smtpd_sasl_auth_enable=yes on the submission service in master.cf")
            return
        }
        for service in services {
            report.info("== Postfix service \(service.label) (chroot \(service.chrooted ? "y" : "n"))")
            guard configuration.isYes("smtpd_sasl_auth_enable", for: service) else {
                report.info("(smtpd_sasl_auth_enable = no: this service offers no AUTH; nothing more to follow)")
                continue
            }
            follow(service, configuration)
        }
    }

    // MARK: Postfix

    private mutating func follow(_ service: PostfixService, _ configuration: PostfixConfiguration) {
        let type = configuration.value("smtpd_sasl_type", for: service)
        let path = configuration.value("smtpd_sasl_path", for: service)
        let saslService = configuration.value("smtpd_sasl_service", for: service)
        report.ok("Postfix smtpd_sasl_auth_enable", "yes")
        checkTLS(service, configuration)
        checkRelay(service, configuration)
        switch type {
        case "cyrus":
            report.ok("Postfix smtpd_sasl_type", "cyrus: Cyrus SASL application \(path), PAM service \(saslService)")
            followCyrus(service, configuration, application: path.isEmpty ? "smtpd" : path, saslService: saslService)
        case "dovecot":
            report.ok("Postfix smtpd_sasl_type", "dovecot: auth socket \(path), service \(saslService)")
            followDovecot(service, configuration, path: path, saslService: saslService)
        default:
            report.fail(
                "Postfix smtpd_sasl_type", "\"\(type)\" (smtpd logs \"unsupported SASL server implementation\" and serves no mail)",
                fix: "smtpd_sasl_type = cyrus (saslauthd and PAM) or dovecot")
        }
    }

    private func checkTLS(_ service: PostfixService, _ configuration: PostfixConfiguration) {
        let wrapper = configuration.isYes("smtpd_tls_wrappermode", for: service)
        let level = configuration.value("smtpd_tls_security_level", for: service)
        let legacy = configuration.isYes("smtpd_use_tls", for: service) || configuration.isYes("smtpd_enforce_tls", for: service)
        let certificate = ["smtpd_tls_chain_files", "smtpd_tls_cert_file", "smtpd_tls_eccert_file"].contains {
            !configuration.value($0, for: service).isEmpty
        }
        let tls = certificate && (wrapper || level == "may" || level == "encrypt" || (level.isEmpty && legacy))
        if configuration.isYes("smtpd_tls_auth_only", for: service) {
            if tls {
                report.ok(
                    "Postfix smtpd_tls_auth_only", wrapper ? "yes (TLS from the first byte: smtps)" : "yes: AUTH is offered after STARTTLS")
            } else {
                report.fail(
                    "Postfix smtpd_tls_auth_only",
                    "yes, but TLS is off (smtpd_tls_security_level = \(level.isEmpty ? "none" : level)\(certificate ? "" : ", no certificate")): "
                        + "EHLO never offers AUTH (swaks: \"Host did not advertise authentication\")",
                    fix: "smtpd_tls_security_level = may and smtpd_tls_chain_files = KEY, CERT")
            }
        } else if wrapper {
            report.ok("Postfix smtpd_tls_auth_only", "no, but this is smtps (TLS from the first byte)")
        } else {
            report.warn(
                "Postfix smtpd_tls_auth_only", "no: AUTH is offered before STARTTLS and passwords may cross the network in clear text",
                fix: "smtpd_tls_auth_only = yes (with smtpd_tls_security_level = may)")
        }
    }

    private func checkRelay(_ service: PostfixService, _ configuration: PostfixConfiguration) {
        var name = "smtpd_relay_restrictions"
        var list = PostfixConfiguration.restrictionList(configuration.value(name, for: service))
        if list.isEmpty {
            name = "smtpd_recipient_restrictions"
            list = PostfixConfiguration.restrictionList(configuration.value(name, for: service))
        }
        let permit = list.firstIndex(of: "permit_sasl_authenticated")
        let reject = list.firstIndex { $0 == "reject_unauth_destination" || $0 == "defer_unauth_destination" }
        let symptom = "authenticated clients still get \"554 5.7.1 Relay access denied\" for other domains"
        let fix = "\(name) = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination (on submission: -o \(name)=...)"
        switch (permit, reject) {
        case (nil, _):
            report.fail("Postfix \(name)", "no permit_sasl_authenticated: \(symptom)", fix: fix)
        case (let p?, let r?) where r < p:
            report.fail("Postfix \(name)", "permit_sasl_authenticated comes after \(list[r]): \(symptom)", fix: fix)
        case (_, nil):
            report.warn(
                "Postfix \(name)", "permit_sasl_authenticated but no reject_unauth_destination: an open relay unless another rule refuses",
                fix: fix)
        default:
            report.ok("Postfix \(name)", "permit_sasl_authenticated before reject_unauth_destination")
        }
    }

    /// The host path of a socket smtpd opens: inside queue_directory when chrooted, and a
    /// relative path is relative to queue_directory either way (smtpd's working directory).
    private func hostPath(_ path: String, chrooted: Bool, _ configuration: PostfixConfiguration) -> String {
        if path.hasPrefix("/") && !chrooted { return path }
        return FileSystem.join(configuration.queueDirectory, path)
    }

    // MARK: Cyrus SASL

    private mutating func followCyrus(
        _ service: PostfixService, _ configuration: PostfixConfiguration, application: String, saslService: String
    ) {
        let sasl = CyrusSASLConfiguration.locate(
            application: application, configDirectory: configuration.configDirectory,
            cyrusConfigPath: configuration.value("cyrus_sasl_config_path", for: service))
        let step = "Cyrus SASL \(application).conf"
        let copies = environment.saslElsewhere.map { FileSystem.join($0, "\(application).conf") }
            .filter { FileSystem.exists($0) && !sasl.searched.contains($0) }
        for copy in copies where sasl.path != nil {
            report.warn(
                step, "a copy at \(copy) is not read by Debian's Postfix (it reads \(sasl.path ?? ""))",
                fix: "remove \(copy) so nobody edits the wrong file")
        }
        guard let file = sasl.path else {
            let found = copies.isEmpty ? "" : " (there is one at \(copies.joined(separator: ", ")), which Debian's Postfix does not read)"
            report.fail(
                step,
                "none in \(sasl.searched.joined(separator: ", "))\(found): libsasl falls back to auxprop (sasldb), never saslauthd: "
                    + "maillog \"SASL PLAIN authentication failed\", SMTP \"454 4.7.0 Temporary authentication failure: generic "
                    + "failure\" (sasldb unreadable by postfix) or 535 5.7.8 (user not in it)",
                fix: "create \(sasl.searched.last ?? "") with pwcheck_method: saslauthd and mech_list: PLAIN LOGIN"
                    + (copies.first.map { " (e.g. mv \($0) \(sasl.searched.last ?? ""))" } ?? ""))
            checkPAM(service: saslService, flags: nil, configuration)
            return
        }
        report.ok(step, file)
        let method = sasl.pwcheckMethod ?? ""
        if method.split(separator: " ").first == "saslauthd" {
            report.ok("Cyrus SASL pwcheck_method", method)
        } else {
            report.fail(
                "Cyrus SASL pwcheck_method",
                "\(method.isEmpty ? "not set (libsasl's default, auxprop)" : method): libsasl checks its own sasldb (/etc/sasldb2), "
                    + "never saslauthd or PAM: maillog \"SASL PLAIN authentication failed\", SMTP \"454 4.7.0 Temporary "
                    + "authentication failure: generic failure\" (sasldb unreadable by postfix) or 535 5.7.8 (user not in it)",
                fix: "pwcheck_method: saslauthd in \(file)")
            checkPAM(service: saslService, flags: nil, configuration)
            return
        }
        let mechanisms = sasl.mechanisms
        checkMechanisms(mechanisms, file: file)
        checkPlugins(mechanisms ?? ["PLAIN", "LOGIN"])
        let flags = followSaslauthd(service, configuration, socketPath: sasl.saslauthdPath, file: file, saslService: saslService)
        checkPAM(service: saslService, flags: flags, configuration)
    }

    private func checkMechanisms(_ mechanisms: [String]?, file: String) {
        guard let mechanisms else {
            report.warn(
                "Cyrus SASL mech_list",
                "not set: every installed mechanism is offered, CRAM-MD5 and DIGEST-MD5 too, which saslauthd cannot check "
                    + "(a client that picks one gets 454 4.7.0 Temporary authentication failure)",
                fix: "mech_list: PLAIN LOGIN in \(file)")
            return
        }
        let unusable = mechanisms.filter { $0 != "PLAIN" && $0 != "LOGIN" }
        if !unusable.isEmpty {
            report.fail(
                "Cyrus SASL mech_list",
                "\(unusable.joined(separator: " ")) cannot be checked by saslauthd (it needs the clear password, which only sasldb "
                    + "holds): clients pick it before PLAIN (swaks and Thunderbird do) and get \"454 4.7.0 Temporary authentication failure: "
                    + "generic failure\" (535 5.7.8 when smtpd can read sasldb)",
                fix: "mech_list: PLAIN LOGIN in \(file)")
        } else if mechanisms.isEmpty {
            report.fail("Cyrus SASL mech_list", "empty: smtpd offers no AUTH", fix: "mech_list: PLAIN LOGIN in \(file)")
        } else {
            report.ok("Cyrus SASL mech_list", mechanisms.joined(separator: " "))
        }
    }

    private func checkPlugins(_ mechanisms: [String]) {
        let directory = environment.saslPluginDirectory
        let installed = FileSystem.listDirectory(directory)
        let missing = mechanisms.filter { $0 == "PLAIN" || $0 == "LOGIN" }.filter { mechanism in
            !installed.contains { $0.hasPrefix("lib\(mechanism.lowercased()).so") }
        }
        if missing.isEmpty {
            report.ok(
                "Cyrus SASL plugins", "\(mechanisms.filter { $0 == "PLAIN" || $0 == "LOGIN" }.joined(separator: ", ")) in \(directory)")
        } else {
            report.fail(
                "Cyrus SASL plugins",
                "no plugin for \(missing.joined(separator: ", ")) in \(directory): smtpd logs \"no SASL authentication mechanisms\" "
                    + "(or leaves them out of EHLO)",
                fix: "apt install libsasl2-modules")
        }
    }

    // MARK: saslauthd

    /// The saslauthd link; the flags of the instance smtpd reaches, nil when there is none.
    private func followSaslauthd(
        _ service: PostfixService, _ configuration: PostfixConfiguration, socketPath: String, file: String, saslService: String
    ) -> SaslauthdFlags? {
        let host = hostPath(socketPath, chrooted: service.chrooted, configuration)
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
        guard reachableAsMailOwner(host: host, inside: socketPath, service: service, configuration, what: "saslauthd") else { return flags }
        roundTrip(host: host, saslService: saslService, flags: flags, configuration)
        return flags
    }

    private func checkRealmFlag(_ flags: SaslauthdFlags, saslService: String) {
        if flags.realm {
            report.ok("saslauthd -r", "set: user@domain reaches PAM whole")
            return
        }
        let lines = pamLines(saslService)
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

    /// The connect() smtpd will make, made by a child with the mail owner's identity.
    private func reachableAsMailOwner(
        host: String, inside path: String, service: PostfixService, _ configuration: PostfixConfiguration, what: String
    ) -> Bool {
        let owner = configuration.mailOwner
        let step = "\(what) reachable as \(owner)"
        let chrootDirectory = service.chrooted ? configuration.queueDirectory : nil
        // Inside the chroot smtpd's working directory is its root (queue_directory).
        let target = service.chrooted ? (path.hasPrefix("/") ? path : "/" + path) : host
        switch PrivilegeDroppedConnect.connect(path: target, as: owner, chrootDirectory: chrootDirectory) {
        case .connected:
            report.ok(step, "connect() with \(owner)'s uid and groups\(service.chrooted ? " inside the chroot" : "") succeeds")
            return true
        case .unknownUser:
            report.fail(step, "there is no user \(owner) (mail_owner)", fix: "install Postfix's user, or correct mail_owner")
        case .forkFailed(let code):
            report.fail(step, "could not fork a child to test it: \(String(cString: strerror(code)))", fix: "retry")
        case .failed(let code, let stage):
            let reason = String(cString: strerror(code))
            let log =
                what == "saslauthd"
                ? "smtpd logs \"cannot connect to saslauthd server: \(reason)\", SMTP 454 4.7.0 Temporary authentication failure"
                : "smtpd logs \"fatal: no SASL authentication mechanisms\", EHLO offers no AUTH"
            if code == EACCES, let blocker = Self.blockingDirectory(for: host, user: owner) {
                let groupFix = blocker.group.map { "adduser \(owner) \($0), then postfix reload (smtpd takes its groups when it starts)" }
                report.fail(
                    step,
                    "\(owner) cannot connect to \(host): \(reason) (\(blocker.path) is \(blocker.ownership)"
                        + (blocker.group.map { " and \(owner) is not in group \($0)" } ?? "") + "): \(log)",
                    fix: groupFix ?? "let \(owner) search \(blocker.path)")
            } else {
                report.fail(
                    step, "\(stage) as \(owner) to \(target) failed: \(reason): \(log)",
                    fix: "check the socket's directories and that the daemon runs")
            }
        }
        return false
    }

    /// The first directory on the way to `path` that `user` may not search, with the group
    /// that would let it in (when the group may search and the user is not a member).
    private static func blockingDirectory(for path: String, user: String) -> (path: String, ownership: String, group: String?)? {
        guard let identity = PrivilegeDroppedConnect.identity(of: user) else { return nil }
        var directory = ""
        for component in FileSystem.directory(of: path).split(separator: "/") {
            directory += "/\(component)"
            var info = stat()
            guard stat(directory, &info) == 0 else { return nil }
            let mode = info.st_mode
            let allowed =
                info.st_uid == identity.uid
                ? mode & 0o100 != 0
                : identity.groups.contains(info.st_gid) ? mode & 0o010 != 0 : mode & 0o001 != 0
            if !allowed {
                let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) }
                let offer = mode & 0o010 != 0 && !identity.groups.contains(info.st_gid) ? group : nil
                return (directory, FileSystem.describeOwnership(directory) ?? "", offer)
            }
        }
        return nil
    }

    /// With a password given by the administrator: one request as libsasl sends it.
    private func roundTrip(host: String, saslService: String, flags: SaslauthdFlags, _ configuration: PostfixConfiguration) {
        guard let user, let password else {
            report.info("(give USER and --password for a round trip through saslauthd; a password is only ever sent when given)")
            return
        }
        let (login, realm) = SaslauthdClient.split(qualified(user, configuration))
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

    /// The name libsasl hands on: with smtpd_sasl_local_domain set, a name without `@` gets it.
    private func qualified(_ user: String, _ configuration: PostfixConfiguration) -> String {
        let domain = configuration.parameters["smtpd_sasl_local_domain"] ?? ""
        return user.contains("@") || domain.isEmpty ? user : "\(user)@\(domain)"
    }

    // MARK: Dovecot

    private func followDovecot(_ service: PostfixService, _ configuration: PostfixConfiguration, path: String, saslService: String) {
        var socketPath = path
        if socketPath.hasPrefix("unix:") { socketPath.removeFirst(5) }
        if socketPath.hasPrefix("inet:") {
            report.warn("Dovecot auth socket", "\(path): a TCP listener, not checked", fix: "use a Unix socket (private/auth)")
            return
        }
        let host = hostPath(socketPath, chrooted: service.chrooted, configuration)
        guard FileSystem.isSocket(host) else {
            report.fail(
                "Dovecot auth socket",
                "no socket at \(host)\(service.chrooted ? " (smtpd is chrooted to \(configuration.queueDirectory))" : ""): "
                    + "smtpd logs \"fatal: no SASL authentication mechanisms\" and EHLO offers no AUTH",
                fix: "service auth { unix_listener \(FileSystem.join(configuration.queueDirectory, "private/auth")) "
                    + "{ mode = 0660 user = postfix group = postfix } } in Dovecot, and smtpd_sasl_path = private/auth")
            return
        }
        report.ok("Dovecot auth socket", host)
        guard reachableAsMailOwner(host: host, inside: socketPath, service: service, configuration, what: "Dovecot auth") else { return }
        let connection: UnixSocketConnection
        switch UnixSocketConnection.connect(host) {
        case .failure(let failure):
            report.fail("Dovecot auth handshake", "cannot connect: \(failure.message)", fix: "check that Dovecot's auth service runs")
            return
        case .success(let value): connection = value
        }
        let client = DovecotAuthClient(connection: connection)
        guard let handshake = client.handshake() else {
            report.fail(
                "Dovecot auth handshake", "no VERSION line (not a Dovecot auth socket?): smtpd logs \"no SASL authentication mechanisms\"",
                fix: "point smtpd_sasl_path at Dovecot's auth-client listener")
            return
        }
        if handshake.spidBeforeMechanisms {
            report.fail(
                "Dovecot auth handshake",
                "SPID before any MECH: smtpd logs \"Connected to wrong auth socket (auth-master instead of auth-client)\"",
                fix: "use the service auth unix_listener, not auth-master or auth-userdb")
            return
        }
        guard handshake.done else {
            report.fail("Dovecot auth handshake", "the server closed before DONE", fix: "see Dovecot's log")
            return
        }
        guard handshake.mechanisms.contains("PLAIN") else {
            report.fail(
                "Dovecot auth handshake", "MECH \(handshake.mechanisms.joined(separator: " ")): no PLAIN",
                fix: "auth_mechanisms = plain login in Dovecot")
            return
        }
        report.ok(
            "Dovecot auth handshake", "VERSION \(handshake.version ?? "?"), MECH \(handshake.mechanisms.joined(separator: " ")), DONE")
        guard let user, let password else {
            report.info("(give USER and --password for AUTH PLAIN through Dovecot; a password is only ever sent when given)")
            return
        }
        switch client.authenticatePlain(user: user, password: password, service: saslService) {
        case .accepted(let name):
            report.ok("Dovecot AUTH PLAIN", "OK user=\(name) (service \(saslService))")
        case .refused(let reason):
            report.fail(
                "Dovecot AUTH PLAIN", "FAIL (\(reason)) for \"\(user)\": SMTP 535 5.7.8 Error: authentication failed",
                fix: "check the user and password in Dovecot's passdb (doveadm auth test)")
        case .broken(let why):
            report.fail("Dovecot AUTH PLAIN", why, fix: "see Dovecot's log")
        }
    }

    // MARK: PAM

    private func pamLines(_ service: String) -> [PAMLine]? {
        guard let text = Check.readText(FileSystem.join(environment.pamDirectory, service)) else { return nil }
        return PAMLine.ourLines(in: text)
    }

    /// The service file libpam opens for saslauthd's request, the module files its lines
    /// load, then the module's own checks for the name PAM is handed.
    private mutating func checkPAM(service: String, flags: SaslauthdFlags?, _ configuration: PostfixConfiguration) {
        var pamUser = user
        if let user, let flags {
            let (login, realm) = SaslauthdClient.split(qualified(user, configuration))
            pamUser = flags.realm && !realm.isEmpty ? "\(login)@\(realm)" : login
        }
        let key = "\(service)\0\(pamUser ?? "")"
        guard !checkedPAM.contains(key) else {
            report.info("(PAM service \(service): checked above)")
            return
        }
        checkedPAM.insert(key)
        let path = FileSystem.join(environment.pamDirectory, service)
        guard let text = Check.readText(path) else {
            report.fail(
                "PAM service file",
                "\(path) does not exist (smtpd_sasl_service = \(service)): libpam silently uses \(environment.pamDirectory)/other "
                    + "instead (Debian's denies), so every AUTH fails with 535 5.7.8 and pam_mysql is never asked",
                fix: "create \(path) with the pam_mysql auth and account lines, or set smtpd_sasl_service to the service that has them")
            return
        }
        report.ok("PAM service file", path + (pamUser.map { ", user \"\($0)\" as saslauthd hands it" } ?? ""))
        for line in PAMLine.lines(in: text) {
            if line.type == "@include" {
                let included = line.modulePath.hasPrefix("/") ? line.modulePath : FileSystem.join(environment.pamDirectory, line.modulePath)
                if FileSystem.exists(included) {
                    report.ok("PAM @include (line \(line.number))", included)
                } else {
                    report.fail(
                        "PAM @include (line \(line.number))", "\(included) does not exist: libpam fails the whole stack",
                        fix: "correct the @include")
                }
                continue
            }
            let file = PAMModuleFile.resolve(line.modulePath, moduleDirectory: environment.pamModuleDirectory)
            let step = "PAM module (line \(line.number), \(line.type))"
            if file.exists {
                let flavour =
                    line.isOurModule && file.package == "libpam-mysql" ? " (the C pam_mysql 0.8.2, not this project's module)" : ""
                report.ok(step, file.description + flavour)
            } else if line.ignoresMissingModule {
                report.warn(
                    step, "\(file.path) does not exist; libpam skips this -\(line.type) line", fix: "install the module or remove the line")
            } else {
                report.fail(
                    step, "\(file.path) does not exist: libpam logs \"PAM unable to dlopen(\(file.path))\" and the stack fails",
                    fix: "install the module (make install, or the .deb), or correct the path")
            }
        }
        let ours = PAMLine.ourLines(in: text)
        guard !ours.isEmpty else {
            report.fail(
                "PAM service file", "no pam_mysql.so line in \(path)",
                fix: "add 'auth required pam_mysql.so config_file=/etc/pam-mysql.conf' and the account line")
            return
        }
        Checker(report: report, user: pamUser, password: password).check(ours, origin: path)
    }
}
