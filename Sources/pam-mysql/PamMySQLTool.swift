import ArgumentParser
import PAMMySQLCore
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

@main
struct PamMySQLTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pam-mysql",
        abstract: "Check, test and feed the pam_mysql PAM module.",
        discussion: """
            check  finds the broken link of a pam_mysql line (options, server, SQL login, table, row, stored value, password).
            hash   makes a stored value for a password.
            auth   logs in through libpam, like pamtester.
            No command ever prints a password, the database password or a stored value.
            Exit status: 0 on success, 1 when a check, a verification or a login failed, 64 on a usage error.
            """,
        version: PackageVersion.current,
        subcommands: [Check.self, Hash.self, Auth.self])
}

/// sysexits.h's EX_USAGE, what ArgumentParser returns for a usage error.
let usageExitCode: Int32 = 64

struct PasswordOptions: ParsableArguments {
    @Flag(name: .long, help: "Read the password from the first line of standard input instead of the terminal.")
    var passwordStdin = false
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each link of a service's pam_mysql lines, in order.",
        discussion: """
            Reads /etc/pam.d/SERVICE (or --file, or one --line) and, for every line naming pam_mysql.so, prints one \
            line per step: OK, WARN or FAIL, and the fix for a failure. With USER it also checks that user's row and \
            stored value; with --password (asked for without echo) or --password-stdin, whether the password verifies.
            With --postfix it follows SMTP AUTH the way Postfix will instead, for each smtpd service of master.cf: Postfix's \
            SASL settings, Cyrus SASL's smtpd.conf, saslauthd (flags, the socket as smtpd sees it from its chroot, a \
            connect() as the postfix user, a round trip with the given password) or Dovecot's auth socket, the PAM service \
            file and module files, then the pam_mysql checks above; the one positional argument is then the USER. \
            With --json the verdicts are printed as one JSON document at the end: \
            {"result": "ok|warn|fail", "checks": [{"verdict", "step", "detail", "fix", "section"}, …], "notes": […]}.
            Exit status: 0 when nothing failed (warnings included), 1 when a step failed, 64 on a usage error \
            (or no terminal to ask for the password on).
            """)

    @Argument(help: "The PAM service (a file in /etc/pam.d). Not needed with --line or --file.")
    var service: String?

    @Argument(help: "The user whose row, stored value and password are checked.")
    var user: String?

    @Option(name: .long, help: "Check this module line instead of a service, e.g. 'auth required pam_mysql.so db=mail ...'.")
    var line: String?

    @Option(name: .long, help: "Check the pam_mysql lines of this file instead of /etc/pam.d/SERVICE.", completion: .file())
    var file: String?

    @Flag(name: .long, help: "Ask for the user's password (without echo) and check that it verifies.")
    var password = false

    @OptionGroup var passwordOptions: PasswordOptions

    @Flag(name: .long, help: "Print the verdicts as one JSON document instead of one line each.")
    var json = false

    @Flag(
        name: .long,
        help: "Check the lines as saslauthd -a pam runs them (nullok and use_first_pass warn); implied for SERVICE smtp, imap, pop, sieve."
    )
    var saslauthd = false

    /// The service names Cyrus SASL applications give saslauthd (Postfix's smtpd_sasl_service
    /// default `smtp`, Cyrus IMAP's `imap`, `pop`, `sieve`).
    static let saslServices: Set<String> = ["smtp", "imap", "pop", "sieve"]

    @Flag(
        name: .long,
        help: "Follow SMTP AUTH through Postfix, Cyrus SASL, saslauthd (or Dovecot) and PAM; the positional argument is the USER.")
    var postfix = false

    @Option(
        name: .long, help: ArgumentHelp("Postfix's configuration directory (postconf -c DIR); default /etc/postfix.", valueName: "DIR"),
        completion: .directory)
    var postfixConfig: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --postfix, also talk SMTP to HOST:PORT: EHLO, STARTTLS, and AUTH PLAIN when a password is given.", valueName: "HOST:PORT")
    )
    var smtp: String?

    mutating func validate() throws {
        if postfix {
            if line != nil || file != nil { throw ValidationError("--postfix follows Postfix's configuration: give no --line or --file") }
            if user != nil { throw ValidationError("with --postfix give only the USER (the PAM service comes from smtpd_sasl_service)") }
            user = service
            service = nil
            if (password || passwordOptions.passwordStdin) && user == nil { throw ValidationError("a password needs a USER") }
            return
        }
        if postfixConfig != nil || smtp != nil { throw ValidationError("--postfix-config and --smtp need --postfix") }
        if line != nil && file != nil { throw ValidationError("give --line or --file, not both") }
        if line != nil || file != nil, user == nil, let service {
            // With --line/--file the only positional argument is the user.
            user = service
            self.service = nil
        }
        if line == nil && file == nil && service == nil { throw ValidationError("give a SERVICE, --line or --file") }
        if (password || passwordOptions.passwordStdin) && user == nil { throw ValidationError("a password needs a USER") }
    }

    func run() throws {
        var secret: SecretBytes? = nil
        if password || passwordOptions.passwordStdin {
            do {
                secret = try Secrets.read(prompt: "Password for \(user ?? ""): ", fromStdin: passwordOptions.passwordStdin)
            } catch {
                printError("pam-mysql: \(error.message)")
                throw ExitCode(usageExitCode)
            }
        }
        let report = Report(json: json)
        defer { report.finish() }
        if postfix {
            var chain = PostfixChainCheck(
                report: report, environment: ChainEnvironment.fromEnvironment(), configDirectory: postfixConfig, user: user,
                password: secret, smtp: smtp)
            chain.run()
            if report.failed { throw ExitCode(1) }
            return
        }
        let lines: [PAMLine]
        let origin: String
        if let line {
            // Either a full pam.d line or just "pam_mysql.so args…".
            let parsed = PAMLine.parse(line, number: 1) ?? PAMLine.parse(line, number: 1, moduleOnly: true)
            let candidate = parsed.flatMap { $0.isOurModule ? $0 : PAMLine.parse(line, number: 1, moduleOnly: true) }
            lines = candidate.map { $0.isOurModule ? [$0] : [] } ?? []
            origin = "--line"
        } else {
            let path = file ?? "/etc/pam.d/\(service ?? "")"
            guard let text = Self.readText(path) else {
                report.fail("PAM configuration", "cannot read \(path)", fix: "check the service name (a file in /etc/pam.d)")
                throw ExitCode(1)
            }
            lines = PAMLine.ourLines(in: text)
            origin = path
        }
        if lines.isEmpty {
            report.fail(
                "PAM configuration", "no pam_mysql.so line in \(origin)",
                fix: "add e.g. 'auth required pam_mysql.so config_file=/etc/pam-mysql.conf'")
            throw ExitCode(1)
        }
        var checker = Checker(report: report, user: user, password: secret)
        checker.underSaslauthd = saslauthd || service.map { Self.saslServices.contains($0) } ?? false
        checker.check(lines, origin: origin)
        if report.failed { throw ExitCode(1) }
    }

    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct Auth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authenticate USER through libpam with SERVICE's stack (pam_authenticate, then pam_acct_mgmt).",
        discussion: """
            Like pamtester SERVICE USER authenticate acct_mgmt. The password is asked for without echo when a module \
            prompts, or read from standard input with --password-stdin. Prints each PAM result and its code; \
            exit status 0 when both succeeded, 1 otherwise.
            """)

    @Argument(help: "The PAM service (a file in /etc/pam.d).")
    var service: String

    @Argument(help: "The user to log in.")
    var user: String

    @OptionGroup var passwordOptions: PasswordOptions

    func run() throws {
        if let missing = Self.missingServiceFile(service) { printError("pam-mysql: warning: \(missing)") }
        let fromStdin = passwordOptions.passwordStdin
        let conversation = PAMLogin.Conversation {
            try? Secrets.read(prompt: "Password: ", fromStdin: fromStdin)
        }
        let code = PAMLogin.run(service: service, user: user, conversation: conversation)
        if code != 0 { throw ExitCode(1) }
    }

    /// libpam reads /etc/pam.d/SERVICE (then the vendor directory /usr/lib/pam.d); without
    /// either it silently runs /etc/pam.d/other, and the login fails (or succeeds) for reasons
    /// that have nothing to do with SERVICE. Nil when the file is there.
    static func missingServiceFile(_ service: String) -> String? {
        let candidates = ["/etc/pam.d/\(service)", "/usr/lib/pam.d/\(service)"]
        guard !candidates.contains(where: { access($0, F_OK) == 0 }) else { return nil }
        return "/etc/pam.d/\(service) does not exist: libpam uses /etc/pam.d/other instead (check the service name)"
    }
}
