import PAMMySQLCore

/// The Dovecot link of a smtpd service with smtpd_sasl_type = dovecot: the auth socket where
/// smtpd opens it, a connect() as the mail owner, the handshake as Postfix reads it, and with
/// the administrator's password AUTH PLAIN. When pam-mysql-authd serves the socket, its
/// configuration and service follow (`AuthdLink`).
struct DovecotLink {
    let report: Report
    let environment: ChainEnvironment
    let user: String?
    let password: SecretBytes?

    func follow(_ service: PostfixService, _ configuration: PostfixConfiguration, path: String, saslService: String) {
        var socketPath = path
        if socketPath.hasPrefix("unix:") { socketPath.removeFirst(5) }
        if socketPath.hasPrefix("inet:") {
            report.warn("Dovecot auth socket", "\(path): a TCP listener, not checked", fix: "use a Unix socket (private/auth)")
            return
        }
        let host = configuration.socketHostPath(socketPath, chrooted: service.chrooted)
        guard FileSystem.isSocket(host) else {
            report.fail(
                "Dovecot auth socket",
                "no socket at \(host)\(service.chrooted ? " (smtpd is chrooted to \(configuration.queueDirectory))" : ""): "
                    + "smtpd logs \"fatal: no SASL authentication mechanisms\" and EHLO offers no AUTH",
                fix: "service auth { unix_listener \(FileSystem.join(configuration.queueDirectory, "private/auth")) "
                    + "{ mode = 0660 user = postfix group = postfix } } in Dovecot, and smtpd_sasl_path = private/auth")
            return
        }
        let server = SocketServer.serving(host, procRoot: environment.procRoot)
        report.ok("Dovecot auth socket", host + (server.map { ", served by \($0.label)" } ?? ""))
        let daemon = server.flatMap { $0.isAuthDaemon ? AuthdLink(report: report, user: user, password: password, server: $0) : nil }
        defer { daemon?.followDovecot(saslService: saslService) }
        guard
            MailOwnerReachability(report: report).check(
                host: host, inside: socketPath, service: service, configuration, what: "Dovecot auth")
        else { return }
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
                fix: daemon == nil
                    ? "check the user and password in Dovecot's passdb (doveadm auth test)"
                    : "check the user and password in the table (pam-mysql-authd's service and module lines below)")
        case .broken(let why):
            report.fail("Dovecot AUTH PLAIN", why, fix: "see Dovecot's log")
        }
    }
}
