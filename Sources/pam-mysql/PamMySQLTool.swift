#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PAMMySQLCore

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
            """,
        subcommands: [Check.self, Hash.self, Auth.self])
}

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
            Exit status: 0 when nothing failed, 1 when a step failed, 2 on a usage error.
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

    mutating func validate() throws {
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
                throw ExitCode(2)
            }
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
                print("FAIL  PAM configuration: cannot read \(path) -- fix: check the service name (a file in /etc/pam.d)")
                throw ExitCode(1)
            }
            lines = PAMLine.ourLines(in: text)
            origin = path
        }
        if lines.isEmpty {
            print("FAIL  PAM configuration: no pam_mysql.so line in \(origin) -- fix: add e.g. 'auth required pam_mysql.so config_file=/etc/pam-mysql.conf'")
            throw ExitCode(1)
        }
        let report = Report()
        let checker = Checker(report: report, user: user, password: secret)
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

struct Hash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a stored value for a password, with a random salt (like doveadm pw).",
        discussion: """
            Schemes: crypt(3) methods yescrypt (default), bcrypt, sha512-crypt, sha256-crypt, md5-crypt, des-crypt \
            (for crypt=1 with any crypt_method); the pam_mysql modes plain, mysql, mysql323, md5, sha1, sha256, sha512, \
            drupal7, joomla15, ssha (for the crypt= of that name); and dovecot:NAME for every Dovecot scheme \
            (for crypt=dovecot), NAME being any name `doveadm pw -l` lists, optionally with .HEX or .B64: \
            dovecot:SHA512-CRYPT, dovecot:ARGON2ID, dovecot:SSHA512, dovecot:SCRAM-SHA-256, dovecot:SHA256.HEX, … \
            dovecot:CRYPT writes yescrypt. dovecot:DIGEST-MD5 needs --user (the login, user@realm). \
            A weak Dovecot scheme is written with a warning: crypt=dovecot refuses it unless allow_weak_schemes is set.
            The value is printed on standard output; the password is read without echo, or with --password-stdin.
            """)

    static let moduleSchemes = [
        "yescrypt", "bcrypt", "sha512-crypt", "sha256-crypt", "md5-crypt", "des-crypt",
        "plain", "mysql", "mysql323", "md5", "sha1", "sha256", "sha512", "drupal7", "joomla15", "ssha",
    ]
    static let schemes = moduleSchemes + DovecotSchemes.names.map { "dovecot:\($0)" }

    /// What a scheme name asks for: a pam_mysql mode (with its crypt method) or a Dovecot scheme.
    enum Recipe {
        case module(CryptMode, CryptMethod?, useMySQL323: Bool)
        case dovecot(String)
    }

    @Option(name: .shortAndLong, help: "The scheme (see below; default yescrypt).", completion: .list(Hash.schemes))
    var scheme: String = "yescrypt"

    @Option(name: .shortAndLong, help: "The login the value is for (dovecot:DIGEST-MD5 mixes it in).")
    var user: String?

    @OptionGroup var passwordOptions: PasswordOptions

    static func recipe(_ scheme: String) -> Recipe? {
        let lowered = scheme.lowercased()
        if lowered.hasPrefix("dovecot:") {
            let name = String(scheme.dropFirst("dovecot:".count))
            return DovecotSchemes.isKnown(name) ? .dovecot(name) : nil
        }
        let cryptMethods: [String: CryptMethod] = [
            "yescrypt": .yescrypt, "bcrypt": .bcrypt, "sha512-crypt": .sha512, "sha256-crypt": .sha256,
            "md5-crypt": .md5, "des-crypt": .des,
        ]
        if let method = cryptMethods[lowered] { return .module(.crypt, method, useMySQL323: false) }
        if lowered == "mysql323" { return .module(.mysql, nil, useMySQL323: true) }
        if lowered == "crypt" || lowered == "y" { return .module(.crypt, .yescrypt, useMySQL323: false) }
        guard let mode = CryptMode(optionValue: lowered), mode != .dovecot, mode != .crypt else { return nil }
        return .module(mode, nil, useMySQL323: false)
    }

    func validate() throws {
        guard Self.recipe(scheme) != nil else {
            let suggestion = closest(to: scheme, among: Self.schemes).map { " (did you mean \($0)?)" } ?? ""
            throw ValidationError(
                "unknown scheme \"\(scheme)\"\(suggestion); known: \(Self.moduleSchemes.joined(separator: ", ")) and dovecot:NAME "
                    + "for NAME in \(DovecotSchemes.names.joined(separator: ", "))")
        }
        if case .dovecot(let name) = Self.recipe(scheme)!, name.uppercased().hasPrefix("DIGEST-MD5"), (user ?? "").isEmpty {
            throw ValidationError("dovecot:DIGEST-MD5 mixes the login into the value: give it with --user USER@REALM")
        }
    }

    func run() throws {
        let recipe = Self.recipe(scheme)!
        if case .dovecot(let name) = recipe, DovecotSchemes.isWeak(name) {
            printError("pam-mysql: warning: \(name) is a weak scheme; crypt=dovecot refuses it unless allow_weak_schemes is set")
        }
        let password: SecretBytes
        do {
            password = try Secrets.read(prompt: "Password: ", fromStdin: passwordOptions.passwordStdin)
        } catch {
            printError("pam-mysql: \(error.message)")
            throw ExitCode(2)
        }
        let made: Result<SecretBytes, NewPasswordHashError>
        switch recipe {
        case .module(let mode, let method, let legacy):
            made = NewPasswordHash.make(mode: mode, password: password, cryptMethod: method, md5: true, useMySQL323: legacy)
        case .dovecot(let name):
            made = DovecotNewValue.make(scheme: name, password: password, userName: Array((user ?? "").utf8))
        }
        switch made {
        case .failure(let error):
            printError("pam-mysql: \(error.reason)")
            throw ExitCode(1)
        case .success(let value):
            var line = value.appending(SecretBytes(Array("\n".utf8)))
            line.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
            line = SecretBytes([])
        }
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
        let fromStdin = passwordOptions.passwordStdin
        let conversation = PAMLogin.Conversation {
            try? Secrets.read(prompt: "Password: ", fromStdin: fromStdin)
        }
        let code = PAMLogin.run(service: service, user: user, conversation: conversation)
        if code != 0 { throw ExitCode(1) }
    }
}
