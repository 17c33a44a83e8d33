import AuthDaemonCore
import Foundation
import Glibc
import PAMMySQLCore
import XCTest

/// Which pam.d stacks the daemon runs, which it refuses (and the one reason it gives), and the
/// options each pam_mysql step carries.
final class PAMServiceFileReaderTests: XCTestCase {
    var directory: TemporaryDirectory!
    let smtp = try! ServiceName(validating: "smtp")

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("pamd")
    }

    override func tearDown() {
        directory.remove()
    }

    func plan(_ text: String, mode: mode_t = 0o644) -> Result<PAMServicePlan, ServiceRefusal> {
        directory.write("smtp", text, mode: mode)
        return PAMServiceFileReader.plan(service: smtp, pamDirectory: directory.path)
    }

    func refusal(_ text: String) -> ServiceRefusal.Reason? {
        guard case .failure(let refusal) = plan(text) else { return nil }
        return refusal.reason
    }

    func options(_ step: PAMStep) -> ModuleOptions? {
        if case .mysql(let options) = step.module { return options }
        return nil
    }

    static let common = "user=mail passwd=secret-db-password db=mail table=users usercolumn=email passwdcolumn=password crypt=1"

    // MARK: accepted

    func testTheUsualDebianStackIsAccepted() throws {
        let plan = try plan(
            """
            # /etc/pam.d/smtp for saslauthd
            auth    required   pam_mysql.so \(Self.common)
            account sufficient pam_mysql.so \(Self.common)
            password required pam_unix.so
            session  optional pam_systemd.so
            -session optional pam_whatever.so
            """
        ).get()
        XCTAssertEqual(plan.authentication.count, 1)
        XCTAssertEqual(plan.authentication[0].line, 2)
        XCTAssertEqual(plan.authentication[0].control, .required)
        XCTAssertEqual(options(plan.authentication[0])?.db, "mail")
        XCTAssertTrue(plan.checksAccount)
        let account = plan.accountSteps(afterAuthenticationEndedAt: 0)
        XCTAssertEqual(account.map(\.control), [.sufficient])
        XCTAssertEqual(account.map(\.line), [3])
        XCTAssertEqual(plan.origin, "\(directory.path)/smtp")
    }

    func testPermitDenyBracketsCaseAndContinuationsAreAccepted() throws {
        let plan = try plan(
            """
            auth [success=done new_authtok_reqd=done default=ignore] /lib/x86_64-linux-gnu/security/pam_mysql.so \\
                \(Self.common)
            AUTH Requisite pam_deny.so
            account required pam_permit.so
            """
        ).get()
        XCTAssertEqual(plan.authentication.map(\.control), [.sufficient, .requisite])
        XCTAssertEqual(plan.authentication.map(\.line), [1, 3])
        guard case .deny = plan.authentication[1].module else { return XCTFail("pam_deny not a deny step") }
        guard case .permit = plan.accountSteps(afterAuthenticationEndedAt: 0).first?.module else { return XCTFail("no permit step") }
        XCTAssertEqual(options(plan.authentication[0])?.passwdColumn, "password")
    }

    func testTheCModulesFileNameCounts() throws {
        let plan = try plan("auth required /lib/security/pam_mysql.so \(Self.common)\naccount required pam_mysql.so\n").get()
        XCTAssertNotNil(options(plan.authentication[0]))
    }

    /// libpam would run /etc/pam.d/other's account lines; the daemon refuses, and pam_permit
    /// is how a file says "no account check".
    func testNoAccountLineIsRefusedAndPamPermitMeansNoAccountCheck() throws {
        guard case .failure(let refused) = plan("auth required pam_mysql.so \(Self.common)\n") else { return XCTFail("accepted") }
        XCTAssertEqual(refused.reason, .noAccountLine)
        XCTAssertTrue(
            refused.message.contains("has no account line (libpam would use the account lines of /etc/pam.d/other"), refused.message)
        let plan = try plan("auth required pam_mysql.so \(Self.common)\naccount required pam_permit.so\n").get()
        let account = plan.accountSteps(afterAuthenticationEndedAt: 0)
        XCTAssertEqual(account.count, 1)
        guard case .permit = account.first?.module else { return XCTFail("not a permit step") }
    }

    // MARK: options carried as the module carries them

    func testOptionsCarryFromLineToLineAndIntoTheAccountStack() throws {
        let plan = try plan(
            """
            auth sufficient pam_mysql.so \(Self.common)
            auth required pam_mysql.so db=second
            account required pam_mysql.so crypt=2
            """
        ).get()
        XCTAssertEqual(options(plan.authentication[0])?.db, "mail")
        XCTAssertEqual(options(plan.authentication[1])?.db, "second")
        XCTAssertEqual(options(plan.authentication[1])?.userColumn, "email", "carried from line 1")
        XCTAssertEqual(options(plan.authentication[1])?.crypt, .crypt, "carried from line 1")
        // The sufficient line 1 succeeded: line 2 never ran, so the account line sees db=mail.
        let afterFirst = plan.accountSteps(afterAuthenticationEndedAt: 0)
        XCTAssertEqual(options(afterFirst[0])?.db, "mail")
        XCTAssertEqual(options(afterFirst[0])?.crypt, .mysql)
        let afterSecond = plan.accountSteps(afterAuthenticationEndedAt: 1)
        XCTAssertEqual(options(afterSecond[0])?.db, "second")
        XCTAssertEqual(options(afterSecond[0])?.crypt, .mysql)
    }

    /// The whole request: the account call gets the options of the auth calls that really ran.
    func testEvaluationRunsTheAccountStackWithTheOptionsTheAuthStackLeft() throws {
        let plan = try plan(
            """
            auth sufficient pam_mysql.so \(Self.common)
            auth required pam_mysql.so db=second
            account required pam_mysql.so
            """
        ).get()
        func run(_ answers: [PAMStepResult<String>]) -> ([String], PAMServiceResult<String>) {
            var seen: [String] = []
            var answers = answers
            let result = PAMServiceEvaluation<String>.evaluate(plan) { call in
                seen.append("\(call.phase.rawValue)@\(call.line):\(call.options.db ?? "-")")
                return answers.removeFirst()
            }
            return (seen, result)
        }
        let (first, firstResult) = run([.success, .success])
        XCTAssertEqual(first, ["auth@1:mail", "account@3:mail"])
        guard case .success = firstResult else { return XCTFail("\(firstResult)") }

        let (second, _) = run([.failure("wrong"), .success, .success])
        XCTAssertEqual(second, ["auth@1:mail", "auth@2:second", "account@3:second"])

        let (third, thirdResult) = run([.failure("wrong"), .failure("wrong again")])
        XCTAssertEqual(third, ["auth@1:mail", "auth@2:second"])
        guard case .authenticationFailed(.module(line: 2, "wrong again")) = thirdResult else { return XCTFail("\(thirdResult)") }

        let (fourth, fourthResult) = run([.success, .failure("expired")])
        XCTAssertEqual(fourth, ["auth@1:mail", "account@3:mail"])
        guard case .accountFailed(.module(line: 3, "expired")) = fourthResult else { return XCTFail("\(fourthResult)") }
    }

    func testAsyncEvaluationGivesTheSameAnswers() async throws {
        let plan = try plan("auth requisite pam_mysql.so db=a\nauth required pam_mysql.so\naccount required pam_mysql.so\n").get()
        var lines: [Int] = []
        let result = await PAMServiceEvaluation<String>.evaluate(plan) { (call: PAMModuleCall) async -> PAMStepResult<String> in
            lines.append(call.line)
            return call.phase == .account ? .failure("expired") : .success
        }
        XCTAssertEqual(lines, [1, 2, 3])
        guard case .accountFailed(.module(line: 3, "expired")) = result else { return XCTFail("\(result)") }
    }

    /// A plan built by hand (as a daemon's own tests build one) runs the same way.
    func testAHandBuiltPlanRunsAuthThenAccount() throws {
        var options = ModuleOptions()
        options.db = "mail"
        let plan = PAMServicePlan(
            service: smtp, origin: "test",
            authentication: [
                PAMStep(line: 1, control: .sufficient, module: .deny), PAMStep(line: 2, control: .required, module: .mysql(options)),
            ],
            account: [PAMStep(line: 3, control: .required, module: .mysql(options))])
        var calls: [PAMPhase] = []
        let result = PAMServiceEvaluation<String>.evaluate(plan) { call in
            calls.append(call.phase)
            return .success
        }
        XCTAssertEqual(calls, [.authenticate, .account])
        guard case .success = result else { return XCTFail("\(result)") }
    }

    func testConfigFileIsReadWithTheModulesReaderAndOverridesTheLine() throws {
        let config = directory.write("pam-mysql.conf", "users.database = fromfile\nusers.db_passwd = file-secret\n", mode: 0o600)
        let plan = try plan("auth required pam_mysql.so \(Self.common) config_file=\(config)\naccount required pam_permit.so\n").get()
        XCTAssertEqual(options(plan.authentication[0])?.db, "fromfile")
        XCTAssertEqual(options(plan.authentication[0])?.passwd?.isText("file-secret"), true)
    }

    func testAConfigFileOthersCanWriteRefusesTheService() {
        let config = directory.write("pam-mysql.conf", "users.database = x\n", mode: 0o666)
        guard case .failure(let refusal) = plan("auth required pam_mysql.so config_file=\(config)\naccount required pam_mysql.so\n") else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(
            refusal.reason, .moduleOptions(line: 1, .unusableConfigFile(path: config, problem: .writableByOthers(mode: 0o100666))))
        XCTAssertTrue(refusal.message.contains("line 1: config file \(config) can be written by its group or by others"), refusal.message)
    }

    func testAMissingConfigFileRefusesTheService() {
        let config = "\(directory.path)/absent.conf"
        XCTAssertEqual(
            refusal("auth required pam_mysql.so config_file=\(config)\naccount required pam_mysql.so\n"),
            .moduleOptions(line: 1, .unusableConfigFile(path: config, problem: .cannotOpen(errno: ENOENT))))
    }

    func testOptionErrorsRefuseTheServiceWithoutTheValue() {
        guard case .failure(let refusal) = plan("auth required pam_mysql.so crypt=bogus passwd=hunter2\naccount required pam_mysql.so\n")
        else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(refusal.reason, .moduleOptions(line: 1, .invalidCrypt(origin: "argument crypt")))
        XCTAssertFalse(refusal.message.contains("hunter2"))
        XCTAssertFalse(refusal.message.contains("bogus"))
        // A bare `passwd secret`: the module refuses, and the next word is never shown.
        guard case .failure(let bare) = plan("auth required pam_mysql.so passwd hunter2\naccount required pam_mysql.so\n") else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(bare.reason, .moduleOptions(line: 1, .missingValue(option: "passwd")))
        XCTAssertFalse(bare.message.contains("hunter2"))
    }

    func testAnErrorOnlyTheAccountLineHasRefusesTheService() {
        XCTAssertEqual(
            refusal("auth required pam_mysql.so \(Self.common)\naccount required pam_mysql.so ssl_mode=sometimes\n"),
            .moduleOptions(line: 2, .invalidSSLMode(origin: "argument ssl_mode")))
    }

    func testUnknownOptionsAreNoticesNotRefusals() throws {
        let plan = try plan("auth required pam_mysql.so \(Self.common) colour=blue\naccount required pam_mysql.so\n").get()
        XCTAssertEqual(plan.notices, [AuthdNotice(.err, "\(directory.path)/smtp line 1: unknown option: colour")])
    }

    // MARK: refused

    func testStacksTheDaemonCannotHonourAreRefused() {
        let vectors: [(String, ServiceRefusal.Reason)] = [
            ("auth required pam_unix.so\n", .unsupportedModule(line: 1, module: "pam_unix.so")),
            (
                "auth required pam_mysql.so \(Self.common)\naccount required pam_unix.so\n",
                .unsupportedModule(line: 2, module: "pam_unix.so")
            ),
            ("@include common-auth\n", .include(line: 1)),
            ("-auth required pam_mysql.so \(Self.common)\n", .dashedType(line: 1, type: "auth")),
            ("-account required pam_mysql.so\nauth required pam_mysql.so\n", .dashedType(line: 1, type: "account")),
            ("auth optional pam_mysql.so\n", .unsupportedControl(line: 1, .unsupportedKeyword("optional"))),
            ("auth include common-auth\n", .unsupportedControl(line: 1, .unsupportedKeyword("include"))),
            ("auth substack common-auth\n", .unsupportedControl(line: 1, .unsupportedKeyword("substack"))),
            (
                "auth [success=1 default=ignore] pam_mysql.so\nauth requisite pam_deny.so\n",
                .unsupportedControl(line: 1, .unsupportedBracket("success=1 default=ignore"))
            ),
            ("auth [required] pam_mysql.so\n", .unsupportedControl(line: 1, .unsupportedBracket("required"))),
            ("auth\t[sufficient]\tpam_mysql.so\n", .unsupportedControl(line: 1, .unsupportedBracket("sufficient"))),
            ("\n# comment\nauth required\n", .malformedLine(line: 3)),
            ("authentication required pam_mysql.so\n", .unknownType(line: 1, type: "authentication")),
            ("account required pam_mysql.so \(Self.common)\n", .noAuthLine),
            ("", .noAuthLine),
            ("password required pam_mysql.so\nsession required pam_mysql.so\n", .noAuthLine),
        ]
        for (text, expected) in vectors {
            XCTAssertEqual(refusal(text), expected, text)
        }
    }

    func testAMissingFileIsRefusedInsteadOfFallingBackToOther() {
        let refused = PAMServiceFileReader.plan(service: try! ServiceName(validating: "imap"), pamDirectory: directory.path)
        guard case .failure(let refusal) = refused else { return XCTFail("accepted") }
        XCTAssertEqual(refusal.reason, .missingFile)
        XCTAssertEqual(
            refusal.message,
            "service \"imap\" refused: \(directory.path)/imap does not exist (libpam would fall back to /etc/pam.d/other; pam-mysql-authd refuses instead)"
        )
    }

    func testAServiceFileOthersCanWriteIsRefused() {
        guard case .failure(let refusal) = plan("auth required pam_mysql.so\naccount required pam_mysql.so\n", mode: 0o666) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(refusal.reason, .unreadableFile(.writableByOthers(mode: 0o100666)))
    }

    func testRefusalMessagesNameFileAndLine() {
        guard case .failure(let refusal) = plan("auth required pam_mysql.so\nauth sufficient pam_ldap.so\naccount required pam_mysql.so\n")
        else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(
            refusal.message,
            "service \"smtp\" refused: \(directory.path)/smtp line 2: module pam_ldap.so cannot be run by pam-mysql-authd (only pam_mysql.so, pam_permit.so and pam_deny.so)"
        )
    }
}
