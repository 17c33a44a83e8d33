import Foundation
import Glibc
import PAMMySQLCore
import XCTest

@testable import AuthDaemonCore

/// The daemon's own file, the command line over it, the services it defines, and every error a
/// load reports (file, line, key; never a value).
final class AuthdConfigurationLoaderTests: XCTestCase {
    var directory: TemporaryDirectory!
    var pamDir = ""

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("authd")
        pamDir = directory.path + "/pam.d"
        mkdir(pamDir, 0o755)
    }

    override func tearDown() {
        directory.remove()
    }

    func load(
        _ text: String, mode: mode_t = 0o640, commandLine: AuthdCommandLine = AuthdCommandLine()
    ) -> Result<
        AuthdConfiguration, AuthdConfigurationErrors
    > {
        var commandLine = commandLine
        commandLine.configFile = directory.write("authd.conf", text, mode: mode)
        return AuthdConfigurationLoader.load(commandLine)
    }

    var file: String { directory.path + "/authd.conf" }

    func errors(_ text: String, commandLine: AuthdCommandLine = AuthdCommandLine()) -> [AuthdConfigurationError] {
        guard case .failure(let errors) = load(text, commandLine: commandLine) else { return [] }
        return errors.errors
    }

    func options(_ step: PAMStep?) -> ModuleOptions? {
        if case .mysql(let options)? = step?.module { return options }
        return nil
    }

    // MARK: settings

    func testEverySettingIsRead() throws {
        let configuration = try load(
            """
            # comment
            ; another
            [daemon]
            saslauthd = /var/spool/postfix/var/run/saslauthd/mux
            saslauthd = /run/saslauthd/mux
            dovecot = /var/spool/postfix/private/auth
            control = /run/pam-mysql-authd/ctl
            socket_group = sasl
            dovecot_mode = 0600
            dovecot_owner = postfix
            dovecot_group = postfix
            pam_dir = \(pamDir)
            log = /var/log/pam-mysql-authd.log
            join_realm = no
            ok_user = database
            require_secured = yes
            max_connections = 2000
            max_requests_per_connection = 4
            idle_timeout = 60
            request_timeout = 6.25
            queue_timeout = 0.5
            max_line_length = 4096
            database_threads = 12
            hash_threads = 3
            """
        ).get()
        let settings = configuration.settings
        XCTAssertEqual(
            settings.saslauthdSockets,
            [
                AuthdSocket(path: "/var/spool/postfix/var/run/saslauthd/mux", mode: 0o666, group: "sasl"),
                AuthdSocket(path: "/run/saslauthd/mux", mode: 0o666, group: "sasl"),
            ])
        XCTAssertEqual(
            settings.dovecotSockets, [AuthdSocket(path: "/var/spool/postfix/private/auth", mode: 0o600, owner: "postfix", group: "postfix")]
        )
        XCTAssertEqual(settings.controlSocket, AuthdSocket(path: "/run/pam-mysql-authd/ctl", mode: 0o600))
        XCTAssertEqual(settings.pamDir, pamDir)
        XCTAssertEqual(settings.log, .file("/var/log/pam-mysql-authd.log"))
        XCTAssertFalse(settings.joinRealm)
        XCTAssertEqual(settings.okUser, .database)
        XCTAssertTrue(settings.requireSecured)
        XCTAssertEqual(settings.limits.maxConnections, 2000)
        XCTAssertEqual(settings.limits.maxRequestsPerConnection, 4)
        XCTAssertEqual(settings.limits.idleTimeout, .seconds(60))
        XCTAssertEqual(settings.limits.requestTimeout, .milliseconds(6250))
        XCTAssertEqual(settings.limits.queueTimeout, .milliseconds(500))
        XCTAssertEqual(settings.limits.maxLineLength, 4096)
        XCTAssertEqual(settings.limits.databaseThreads, 12)
        XCTAssertEqual(settings.limits.hashThreads, 3)
        XCTAssertEqual(configuration.configFile, file)
        XCTAssertEqual(configuration.notices, [])
    }

    func testDefaults() throws {
        let settings = try load("").get().settings
        XCTAssertEqual(settings, AuthdSettings())
        XCTAssertEqual(settings.pamDir, "/etc/pam.d")
        XCTAssertEqual(settings.log, .syslog)
        XCTAssertTrue(settings.joinRealm)
        XCTAssertEqual(settings.okUser, .client)
        XCTAssertFalse(settings.requireSecured)
        XCTAssertEqual(settings.limits.requestTimeout, .milliseconds(7500))
        XCTAssertNil(settings.limits.hashThreads)
        XCTAssertEqual(settings.controlSocket.path, "/run/pam-mysql-authd/control")
        XCTAssertTrue(settings.saslauthdSockets.isEmpty)
    }

    // MARK: precedence

    func testCommandLineWinsOverTheFile() throws {
        let commandLine = AuthdCommandLine(
            pamDir: "/srv/pam.d", saslauthdSockets: ["/tmp/a/mux"], dovecotSockets: ["/tmp/b/auth", "/tmp/c/auth"],
            controlSocket: "/tmp/ctl", log: "stderr")
        let settings = try load(
            """
            [daemon]
            saslauthd = /run/saslauthd/mux
            dovecot = /var/spool/postfix/private/auth
            saslauthd_mode = 0660
            saslauthd_group = sasl
            pam_dir = /etc/pam.d
            log = syslog
            control = /run/x
            """, commandLine: commandLine
        ).get().settings
        // The lists are replaced; the sockets keep the file's mode and ownership.
        XCTAssertEqual(settings.saslauthdSockets, [AuthdSocket(path: "/tmp/a/mux", mode: 0o660, group: "sasl")])
        XCTAssertEqual(settings.dovecotSockets.map(\.path), ["/tmp/b/auth", "/tmp/c/auth"])
        XCTAssertEqual(settings.dovecotSockets.map(\.mode), [0o660, 0o660])
        XCTAssertEqual(settings.pamDir, "/srv/pam.d")
        XCTAssertEqual(settings.log, .stderr)
        XCTAssertEqual(settings.controlSocket.path, "/tmp/ctl")
    }

    func testAServiceSectionReplacesThePamdFile() throws {
        directory.write("pam.d/smtp", "auth required pam_unix.so\n")
        directory.write("pam.d/imap", "auth required pam_mysql.so db=frompamd\naccount required pam_permit.so\n")
        let configuration = try load(
            """
            [daemon]
            pam_dir = \(pamDir)
            [service smtp]
            db = fromsection
            user = mail
            passwd = section-secret
            crypt = 1
            """
        ).get()
        let smtp = try configuration.plan(forService: Array("smtp".utf8)).get()
        XCTAssertEqual(smtp.origin, "[service smtp] in \(file)")
        XCTAssertEqual(smtp.authentication.map(\.control), [.required])
        XCTAssertEqual(options(smtp.authentication.first)?.db, "fromsection")
        XCTAssertEqual(options(smtp.authentication.first)?.crypt, .crypt)
        XCTAssertTrue(smtp.checksAccount)
        XCTAssertEqual(options(smtp.accountSteps(afterAuthenticationEndedAt: 0).first)?.db, "fromsection")
        // A service without a section still comes from pam.d.
        let imap = try configuration.plan(forService: Array("imap".utf8)).get()
        XCTAssertEqual(options(imap.authentication.first)?.db, "frompamd")
        XCTAssertEqual(configuration.configuredServices.map(\.text), ["smtp"])
    }

    func testAccountNoDropsTheAccountCheck() throws {
        let configuration = try load("[service smtp]\ndb = mail\naccount = no\n").get()
        let plan = try configuration.plan(for: ServiceName(validating: "smtp")).get()
        XCTAssertFalse(plan.checksAccount)
    }

    func testAServiceSectionsConfigFileIsReadByTheModulesReader() throws {
        let config = directory.write("pam-mysql.conf", "users.database = fromfile\n", mode: 0o600)
        let configuration = try load("[service smtp]\ndb = mail\nconfig_file = \(config)\n").get()
        let plan = try configuration.plan(for: ServiceName(validating: "smtp")).get()
        XCTAssertEqual(options(plan.authentication.first)?.db, "fromfile")

        directory.write("pam-mysql.conf", "users.database = fromfile\n", mode: 0o620)
        XCTAssertEqual(
            errors("[service smtp]\nconfig_file = \(config)\n"),
            [
                AuthdConfigurationError(
                    file: file, line: 1, key: "config_file",
                    problem: .moduleOption(.unusableConfigFile(path: config, problem: .writableByOthers(mode: 0o100620))))
            ])
    }

    // MARK: services resolved lazily, the cache and reloading

    func testPamdServicesAreReadOnceUntilForgotten() throws {
        directory.write("pam.d/smtp", "auth required pam_mysql.so db=first\naccount required pam_permit.so\n")
        let configuration = try load("[daemon]\npam_dir = \(pamDir)\n").get()
        let smtp = try ServiceName(validating: "smtp")
        XCTAssertEqual(options(try configuration.plan(for: smtp).get().authentication.first)?.db, "first")
        directory.write("pam.d/smtp", "auth required pam_mysql.so db=second\naccount required pam_permit.so\n")
        XCTAssertEqual(options(try configuration.plan(for: smtp).get().authentication.first)?.db, "first", "kept")
        configuration.forgetServices()
        XCTAssertEqual(options(try configuration.plan(for: smtp).get().authentication.first)?.db, "second")
    }

    func testWhatReadingAServiceFindsIsLoggedOncePerRead() throws {
        directory.write("pam.d/smtp", "auth required pam_mysql.so colour=blue\naccount required pam_permit.so\n")
        let configuration = try load("[daemon]\npam_dir = \(pamDir)\n").get()
        var lines: [String] = []
        let log: LogSink = { priority, message in lines.append("\(priority): \(message)") }
        _ = configuration.plan(forService: Array("smtp".utf8), log: log)
        _ = configuration.plan(forService: Array("smtp".utf8), log: log)
        _ = configuration.plan(forService: Array("imap".utf8), log: log)
        _ = configuration.plan(forService: Array("imap".utf8), log: log)
        _ = configuration.plan(forService: Array("../x".utf8), log: log)
        XCTAssertEqual(
            lines,
            [
                "err: \(pamDir)/smtp line 1: unknown option: colour",
                "err: service \"imap\" refused: \(pamDir)/imap does not exist (libpam would fall back to /etc/pam.d/other; pam-mysql-authd refuses instead)",
            ])
        configuration.forgetServices()
        _ = configuration.plan(forService: Array("imap".utf8), log: log)
        XCTAssertEqual(lines.count, 3)
    }

    func testReloadReadsEverythingAgainAndAnErrorLeavesTheOldConfigurationUsable() throws {
        directory.write("pam.d/smtp", "auth required pam_mysql.so db=first\naccount required pam_permit.so\n")
        let old = try load("[daemon]\npam_dir = \(pamDir)\nmax_connections = 10\n").get()
        let smtp = try ServiceName(validating: "smtp")
        _ = old.plan(for: smtp)

        directory.write("authd.conf", "[daemon]\npam_dir = \(pamDir)\nmax_connections = 20\n", mode: 0o640)
        directory.write("pam.d/smtp", "auth required pam_mysql.so db=second\naccount required pam_permit.so\n")
        let new = try AuthdConfigurationLoader.reload(old).get()
        XCTAssertEqual(new.settings.limits.maxConnections, 20)
        XCTAssertEqual(options(try new.plan(for: smtp).get().authentication.first)?.db, "second")

        directory.write("authd.conf", "[daemon]\nmax_connections = lots\n", mode: 0o640)
        guard case .failure(let errors) = AuthdConfigurationLoader.reload(new) else { return XCTFail("accepted") }
        XCTAssertEqual(errors.errors.map(\.key), ["max_connections"])
        XCTAssertEqual(new.settings.limits.maxConnections, 20, "the configuration in use is untouched")
    }

    func testClientServiceNamesAreCheckedAndCacheIsBounded() throws {
        let configuration = try load("[daemon]\npam_dir = \(pamDir)\n").get()
        guard case .failure(let refusal) = configuration.plan(forService: Array("../../etc/shadow".utf8)) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(refusal.reason, .invalidName(.slash(shown: "../../etc/shadow")))
        XCTAssertEqual(refusal.message, "service \"../../etc/shadow\" refused: service name \"../../etc/shadow\" contains \"/\"")
        // Many unknown names: each refused, none crashes, the cache stays bounded.
        for index in 0..<(AuthdConfiguration.serviceCacheLimit * 2) {
            guard case .failure(let missing) = configuration.plan(forService: Array("svc\(index)".utf8)) else { return XCTFail("accepted") }
            XCTAssertEqual(missing.reason, .missingFile)
        }
        // A service whose file appears after the cache is full is still found.
        directory.write("pam.d/late", "auth required pam_mysql.so\naccount required pam_permit.so\n")
        XCTAssertNoThrow(try configuration.plan(for: ServiceName(validating: "late")).get())
    }

    // MARK: errors

    func testEachErrorNamesFileLineAndKey() {
        let vectors: [(String, AuthdConfigurationError)] = [
            (
                "[daemon]\nmax_conections = 5\n",
                .init(file: file, line: 2, key: "max_conections", problem: .unknownKey(didYouMean: "max_connections"))
            ),
            ("[daemon]\ncolour = blue\n", .init(file: file, line: 2, key: "colour", problem: .unknownKey(didYouMean: nil))),
            ("[service smtp]\ndbb = mail\n", .init(file: file, line: 2, key: "dbb", problem: .unknownKey(didYouMean: "db"))),
            ("[service smtp]\ndb = mail\ndb = other\n", .init(file: file, line: 3, key: "db", problem: .duplicateKey)),
            (
                "[service smtp]\naccount = maybe\n",
                .init(file: file, line: 2, key: "account", problem: .invalidValue(expected: "yes or no"))
            ),
            (
                "[service smtp]\ncrypt = rot13\n",
                .init(file: file, line: 2, key: "crypt", problem: .moduleOption(.invalidCrypt(origin: "line 2 of \(file)")))
            ),
            ("max_connections = 5\n", .init(file: file, line: 1, key: "max_connections", problem: .keyOutsideSection)),
            ("[deamon]\n", .init(file: file, line: 1, problem: .unknownSection(shown: "deamon"))),
            ("[daemon]\n[daemon]\n", .init(file: file, line: 2, problem: .duplicateSection)),
            ("[service smtp]\n[service smtp]\n", .init(file: file, line: 2, problem: .duplicateSection)),
            ("[service ../x]\ndb = y\n", .init(file: file, line: 1, problem: .invalidServiceName(.slash(shown: "../x")))),
            ("[daemon\n", .init(file: file, line: 1, problem: .syntax("section header without \"]\""))),
            ("[daemon]\njust words\n", .init(file: file, line: 2, problem: .syntax("expected key = value"))),
            ("[daemon]\n= value\n", .init(file: file, line: 2, problem: .syntax("\"=\" without a key"))),
            (
                "[daemon]\nlog = 5\n",
                .init(file: file, line: 2, key: "log", problem: .invalidValue(expected: "syslog, stderr or an absolute path"))
            ),
            ("[daemon]\nlog = syslog\nlog = stderr\n", .init(file: file, line: 3, key: "log", problem: .duplicateKey)),
            (
                "[daemon]\nsaslauthd = relative/mux\n",
                .init(file: file, line: 2, key: "saslauthd", problem: .invalidValue(expected: "an absolute path of at most 107 bytes"))
            ),
            (
                "[daemon]\ndovecot = /\(String(repeating: "d", count: 107))\n",
                .init(file: file, line: 2, key: "dovecot", problem: .invalidValue(expected: "an absolute path of at most 107 bytes"))
            ),
            (
                "[daemon]\nsocket_mode = 0999\n",
                .init(file: file, line: 2, key: "socket_mode", problem: .invalidValue(expected: "an octal mode such as 0660"))
            ),
            (
                "[daemon]\nsocket_mode = 01777\n",
                .init(file: file, line: 2, key: "socket_mode", problem: .invalidValue(expected: "an octal mode such as 0660"))
            ),
            (
                "[daemon]\nsocket_owner = post fix\n",
                .init(file: file, line: 2, key: "socket_owner", problem: .invalidValue(expected: "a user or group name, or a number"))
            ),
            (
                "[daemon]\npam_dir = etc/pam.d\n",
                .init(file: file, line: 2, key: "pam_dir", problem: .invalidValue(expected: "an absolute path"))
            ),
            (
                "[daemon]\njoin_realm = sometimes\n",
                .init(file: file, line: 2, key: "join_realm", problem: .invalidValue(expected: "yes or no"))
            ),
            (
                "[daemon]\nok_user = server\n",
                .init(file: file, line: 2, key: "ok_user", problem: .invalidValue(expected: "client or database"))
            ),
            (
                "[daemon]\nmax_connections = 0\n",
                .init(file: file, line: 2, key: "max_connections", problem: .invalidValue(expected: "a number from 1 to 1000000"))
            ),
            (
                "[daemon]\nmax_requests_per_connection = 2000\n",
                .init(file: file, line: 2, key: "max_requests_per_connection", problem: .invalidValue(expected: "a number from 1 to 1024"))
            ),
            (
                "[daemon]\nmax_line_length = 100\n",
                .init(
                    file: file, line: 2, key: "max_line_length", problem: .invalidValue(expected: "a number of bytes from 512 to 1048576"))
            ),
            (
                "[daemon]\ndatabase_threads = -1\n",
                .init(file: file, line: 2, key: "database_threads", problem: .invalidValue(expected: "a number from 1 to 256"))
            ),
            (
                "[daemon]\nhash_threads = 0\n",
                .init(file: file, line: 2, key: "hash_threads", problem: .invalidValue(expected: "a number from 1 to 256"))
            ),
            (
                "[daemon]\nidle_timeout = 0\n",
                .init(file: file, line: 2, key: "idle_timeout", problem: .invalidValue(expected: "seconds from 1 to 86400"))
            ),
            (
                "[daemon]\nrequest_timeout = 9\n",
                .init(
                    file: file, line: 2, key: "request_timeout",
                    problem: .invalidValue(expected: "seconds from 0.1 to 8 (Postfix gives up after 10)"))
            ),
            (
                "[daemon]\nrequest_timeout = 7.5555\n",
                .init(
                    file: file, line: 2, key: "request_timeout",
                    problem: .invalidValue(expected: "seconds from 0.1 to 8 (Postfix gives up after 10)"))
            ),
            (
                "[daemon]\nqueue_timeout = 1e3\n",
                .init(file: file, line: 2, key: "queue_timeout", problem: .invalidValue(expected: "seconds from 0.01 to 8"))
            ),
            (
                "[daemon]\nrequest_timeout = 2\nqueue_timeout = 2\n",
                .init(file: file, key: "queue_timeout", problem: .conflict("queue_timeout must be shorter than request_timeout"))
            ),
            (
                "[daemon]\nsaslauthd = /run/x\ndovecot = /run/x\n",
                .init(file: file, problem: .conflict("socket /run/x is named twice (each socket serves one protocol)"))
            ),
        ]
        for (text, expected) in vectors {
            XCTAssertEqual(errors(text), [expected], text)
        }
    }

    func testEveryErrorOfAFileIsReportedInOneLoad() {
        let found = errors("[daemon]\nmax_connections = x\nbogus = 1\n[service smtp]\ndbb = 1\n[nope]\n")
        XCTAssertEqual(found.map(\.line), [2, 3, 5, 6])
    }

    func testCommandLineErrors() {
        let commandLine = AuthdCommandLine(
            pamDir: "pam.d", saslauthdSockets: ["mux"], dovecotSockets: ["/ok", "auth"], controlSocket: "c", log: "")
        XCTAssertEqual(
            errors("", commandLine: commandLine).map(\.message),
            [
                "command line, key --saslauthd: invalid value: use an absolute path of at most 107 bytes",
                "command line, key --dovecot: invalid value: use an absolute path of at most 107 bytes",
                "command line, key --control: invalid value: use an absolute path of at most 107 bytes",
                "command line, key --pam-dir: invalid value: use an absolute path",
                "command line, key --log: invalid value: use syslog, stderr or an absolute path",
            ])
    }

    func testTheFileMustBeTrustedAndPresentWhenNamed() {
        let missing = AuthdConfigurationLoader.load(AuthdCommandLine(configFile: directory.path + "/absent.conf"))
        guard case .failure(let errors) = missing else { return XCTFail("accepted") }
        XCTAssertEqual(errors.errors, [.init(file: directory.path + "/absent.conf", problem: .unusableFile(.cannotOpen(errno: ENOENT)))])
        XCTAssertEqual(
            self.errors("[daemon]\n", commandLine: AuthdCommandLine()).count, 0)
        guard case .failure(let writable) = load("[daemon]\n", mode: 0o660) else { return XCTFail("accepted") }
        XCTAssertEqual(writable.errors, [.init(file: file, problem: .unusableFile(.writableByOthers(mode: 0o100660)))])
        XCTAssertEqual(
            writable.errors[0].message, "\(file): can be written by its group or by others (mode 0660): chmod go-w it")
    }

    func testAWorldReadableFileIsAWarning() throws {
        let configuration = try load("[daemon]\n", mode: 0o644).get()
        XCTAssertEqual(
            configuration.notices,
            [AuthdNotice(.warning, "\(file) is readable by every user and may hold database passwords: chmod o-r it")])
    }

    /// No message shows a value: a line may hold the database password.
    func testSecretsAreNeverEchoed() {
        let found = errors(
            """
            [service smtp]
            paswd = hunter2-one
            [daemon]
            max_connections = hunter2-two
            hunter2-three
            [service a b]
            = hunter2-five
            """)
        XCTAssertEqual(found.count, 5)
        for error in found {
            XCTAssertFalse(error.message.contains("hunter2"), error.message)
        }
        XCTAssertEqual(found.first?.message, "\(file) line 2, key paswd: unknown key (did you mean passwd?)")
    }

    /// Without --config, a missing default file means the defaults (and the command line); a
    /// default file that is there is read like a named one.
    func testTheDefaultFileMayBeAbsent() throws {
        let absent = directory.path + "/pam-mysql-authd.conf"
        let configuration = try AuthdConfigurationLoader.load(AuthdCommandLine(dovecotSockets: ["/tmp/x/auth"]), defaultConfigFile: absent)
            .get()
        XCTAssertNil(configuration.configFile)
        XCTAssertEqual(configuration.settings.dovecotSockets, [AuthdSocket(path: "/tmp/x/auth", mode: 0o660)])

        directory.write("pam-mysql-authd.conf", "[daemon]\nmax_connections = 7\n", mode: 0o640)
        let present = try AuthdConfigurationLoader.load(AuthdCommandLine(), defaultConfigFile: absent).get()
        XCTAssertEqual(present.configFile, absent)
        XCTAssertEqual(present.settings.limits.maxConnections, 7)

        directory.write("pam-mysql-authd.conf", "[daemon]\nmax_connections = 7\n", mode: 0o666)
        guard case .failure = AuthdConfigurationLoader.load(AuthdCommandLine(), defaultConfigFile: absent) else {
            return XCTFail("a default file others can write was used")
        }
    }

    /// The shipped example documents every key.
    func testTheShippedExampleNamesEveryKey() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        for key in AuthdConfigurationLoader.daemonKeys {
            XCTAssertTrue(text.contains("#\(key) = "), "packaging/pam-mysql-authd.conf does not show \(key)")
        }
        XCTAssertTrue(text.contains("#account = "))
        XCTAssertTrue(AuthdConfigurationLoader.serviceKeys.contains("config_file"))
    }

    static var examplePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/pam-mysql-authd.conf").path
    }

    func testTheShippedExampleLoads() throws {
        // packaging/pam-mysql-authd.conf, relative to this file: everything in it is commented
        // out or valid.
        let here = URL(fileURLWithPath: #filePath)
        let example = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("packaging/pam-mysql-authd.conf").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        XCTAssertTrue(text.contains("[daemon]"))
        // Uncommenting every `#key = value` line of the [daemon] example must load too.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("#[") || (line.hasPrefix("#") && line.contains(" = ") && !line.hasPrefix("# "))
                ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        XCTAssertNoThrow(try load(text).get())
        switch load(uncommented) {
        case .success: break
        case .failure(let errors): XCTFail(errors.errors.map(\.message).joined(separator: "\n"))
        }
    }
}
