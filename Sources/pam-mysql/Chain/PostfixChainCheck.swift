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
/// Postfix's and Cyrus SASL's links are here; `SaslauthdLink`, `DovecotLink`,
/// `PAMServiceLink` and `SMTPProbe` follow the rest.
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
            DovecotLink(report: report, environment: environment, user: user, password: password)
                .follow(service, configuration, path: path, saslService: saslService)
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
        let link = SaslauthdLink(report: report, environment: environment, user: user, password: password)
        let host = configuration.socketHostPath(sasl.saslauthdPath, chrooted: service.chrooted)
        if let server = SocketServer.serving(host, procRoot: environment.procRoot), server.isAuthDaemon {
            // pam-mysql-authd in saslauthd's place: its configuration and services, not saslauthd's flags and PAM.
            let seenFrom = service.chrooted ? "smtpd (chrooted to \(configuration.queueDirectory)) opens \(host)" : "smtpd opens \(host)"
            AuthdLink(report: report, user: user, password: password, server: server).followSaslauthd(
                host: host, seenFrom: seenFrom, socketPath: sasl.saslauthdPath, service, configuration, saslService: saslService,
                link: link)
            return
        }
        let flags = link.follow(service, configuration, socketPath: sasl.saslauthdPath, file: file, saslService: saslService)
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

    // MARK: PAM

    /// The PAM link once per PAM service and user name (two smtpd services usually share it).
    private mutating func checkPAM(service: String, flags: SaslauthdFlags?, _ configuration: PostfixConfiguration) {
        var pamUser = user
        if let user, let flags {
            let (login, realm) = SaslauthdClient.split(configuration.qualifiedUser(user))
            pamUser = flags.realm && !realm.isEmpty ? "\(login)@\(realm)" : login
        }
        let key = "\(service)\0\(pamUser ?? "")"
        guard !checkedPAM.contains(key) else {
            report.info("(PAM service \(service): checked above)")
            return
        }
        checkedPAM.insert(key)
        PAMServiceLink(report: report, environment: environment, password: password).check(service: service, user: pamUser)
    }
}
