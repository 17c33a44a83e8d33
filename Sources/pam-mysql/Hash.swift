import ArgumentParser
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

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
            The value is printed on standard output; the password is read without echo (twice, to catch a typo), \
            or with --password-stdin.
            With --verify, checks a password against a stored value instead, with the module's own verifier (like \
            doveadm pw -t): --scheme S or --crypt N is required (32 hex digits could be crypt=3 or a plain password), \
            and the stored value is read without echo, from --stored-file F, or with --stored-stdin from standard input \
            (the line after the password with --password-stdin); never from the command line, where ps would show it. \
            Exit status 0 when it verifies, 1 when not, 64 on a usage error.
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
    var scheme: String?

    @Flag(name: .long, help: "Check a password against a stored value instead of making one.")
    var verify = false

    @Option(name: .long, help: "With --verify: the module's crypt= value (0-9, a mode name, or dovecot) instead of --scheme.")
    var crypt: String?

    @Option(name: .long, help: "With --verify: read the stored value from the first line of this file.", completion: .file())
    var storedFile: String?

    @Flag(name: .long, help: "With --verify: read the stored value from standard input (after the password's line).")
    var storedStdin = false

    @Flag(name: .long, help: "With --verify and crypt=dovecot: accept the schemes Dovecot calls weak (allow_weak_schemes).")
    var allowWeakSchemes = false

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
        if verify {
            try validateVerify()
            return
        }
        for (given, name) in [(crypt != nil, "--crypt"), (storedFile != nil, "--stored-file"), (storedStdin, "--stored-stdin")] where given
        {
            throw ValidationError("\(name) needs --verify")
        }
        let scheme = self.scheme ?? "yescrypt"
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
        if verify { return try runVerify() }
        let recipe = Self.recipe(scheme ?? "yescrypt")!
        if case .dovecot(let name) = recipe, DovecotSchemes.isWeak(name) {
            printError("pam-mysql: warning: \(name) is a weak scheme; crypt=dovecot refuses it unless allow_weak_schemes is set")
        }
        let password: SecretBytes
        do {
            password = try Secrets.read(prompt: "Password: ", fromStdin: passwordOptions.passwordStdin)
            if !passwordOptions.passwordStdin {
                // On a terminal a typo would go unseen into the stored value: ask twice.
                let again = try Secrets.read(prompt: "Retype password: ", fromStdin: false)
                guard again.constantTimeEquals(password) else {
                    printError("pam-mysql: the two passwords differ; nothing written")
                    throw ExitCode(1)
                }
            }
        } catch let error as Secrets.Failure {
            printError("pam-mysql: \(error.message)")
            throw ExitCode(usageExitCode)
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
