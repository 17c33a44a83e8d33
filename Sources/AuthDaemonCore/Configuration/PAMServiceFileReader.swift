import PAMMySQLCore
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// Builds a service's plan from `<pam-dir>/<service>`, refusing every stack the daemon cannot
/// run exactly as libpam would (`ServiceRefusal` says which line and why).
///
/// The file is read with the module's own reader (`ConfigFileReader`): it must be a regular file
/// that only root (or the daemon's user) can have written, in directories only they can write.
/// `password` and `session` lines (dashed or not) are ignored: the daemon only authenticates and
/// checks accounts. A file without auth lines, or without account lines, is refused: libpam
/// would run the lines of that type from `/etc/pam.d/other` instead (`_pam_dispatch` falls back
/// per type), which the daemon cannot; `account required pam_permit.so` says "no account check".
public enum PAMServiceFileReader {
    public static func plan(service: ServiceName, pamDirectory: String) -> Result<PAMServicePlan, ServiceRefusal> {
        let path = pamDirectory.hasSuffix("/") ? pamDirectory + service.text : pamDirectory + "/" + service.text
        let refuse = { (reason: ServiceRefusal.Reason) in ServiceRefusal(service: service.text, origin: path, reason: reason) }
        switch ConfigFileReader.read(path: path) {
        case .failure(.cannotOpen(let code)) where code == ENOENT: return .failure(refuse(.missingFile))
        case .failure(let failure): return .failure(refuse(.unreadableFile(failure)))
        case .success(let contents):
            // A pam_mysql line may hold the database password (passwd=). PAMLine splits lines as
            // Strings (as the tool does), which are not wiped; the options keep it as SecretBytes.
            let text = contents.text.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            return plan(service: service, origin: path, text: text)
        }
    }

    /// The plan for a pam.d file's text (`origin` names it in refusals and notices).
    public static func plan(service: ServiceName, origin: String, text: String) -> Result<PAMServicePlan, ServiceRefusal> {
        let refuse = { (reason: ServiceRefusal.Reason) in ServiceRefusal(service: service.text, origin: origin, reason: reason) }
        var auth: [(PAMLine, PAMStep.Module?, PAMControl)] = []
        var account: [(PAMLine, PAMStep.Module?, PAMControl)] = []
        for (number, body) in PAMLine.logicalLines(in: text) {
            guard let line = PAMLine.parse(body, number: number) else { return .failure(refuse(.malformedLine(line: number))) }
            if line.type == "@include" { return .failure(refuse(.include(line: number))) }
            let type = asciiLowercase(line.type)
            if type == "password" || type == "session" { continue }
            guard type == "auth" || type == "account" else { return .failure(refuse(.unknownType(line: number, type: line.type))) }
            if line.ignoresMissingModule { return .failure(refuse(.dashedType(line: number, type: type))) }
            let control: PAMControl
            switch PAMControl.parse(line.control, isBracket: controlIsBracketed(body)) {
            case .failure(let refusal): return .failure(refuse(.unsupportedControl(line: number, refusal)))
            case .success(let parsed): control = parsed
            }
            let name = line.modulePath.split(separator: "/").last.map(String.init) ?? line.modulePath
            let module: PAMStep.Module?
            if line.isOurModule {
                module = nil  // options filled in below
            } else if name == "pam_permit.so" {
                module = .permit
            } else if name == "pam_deny.so" {
                module = .deny
            } else {
                return .failure(refuse(.unsupportedModule(line: number, module: line.modulePath)))
            }
            if type == "auth" { auth.append((line, module, control)) } else { account.append((line, module, control)) }
        }
        guard !auth.isEmpty else { return .failure(refuse(.noAuthLine)) }
        guard !account.isEmpty else { return .failure(refuse(.noAccountLine)) }

        var notices: [AuthdNotice] = []
        func note(_ line: Int, _ notice: OptionNotice) {
            if case .trace = notice { return }
            let entry = AuthdNotice(notice.priority, "\(LogText.escaped(origin)) line \(line): \(notice.message)")
            if !notices.contains(entry) { notices.append(entry) }
        }
        /// One module call: the line's arguments on top of the options so far, then its config file.
        func call(_ line: PAMLine, _ options: inout ModuleOptions) throws(ServiceRefusal) {
            do {
                try ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }) {
                    note(line.number, $0)
                }
            } catch {
                throw refuse(.moduleOptions(line: line.number, error))
            }
        }

        do throws(ServiceRefusal) {
            var options = ModuleOptions()
            var authSteps: [PAMStep] = []
            // The options after each auth step, for the account stack that follows it.
            var optionsAfter: [ModuleOptions] = []
            for (line, module, control) in auth {
                if let module {
                    authSteps.append(PAMStep(line: line.number, control: control, module: module))
                } else {
                    try call(line, &options)
                    authSteps.append(PAMStep(line: line.number, control: control, module: .mysql(options)))
                }
                optionsAfter.append(options)
            }
            // Where the auth stack can stop with a success: after a sufficient step, or at its end.
            var ends = Set(authSteps.indices.filter { authSteps[$0].control == .sufficient })
            ends.insert(authSteps.count - 1)
            var accountStacks: [Int: [PAMStep]] = [:]
            for end in ends.sorted() {
                var carried = optionsAfter[end]
                var steps: [PAMStep] = []
                for (line, module, control) in account {
                    if let module {
                        steps.append(PAMStep(line: line.number, control: control, module: module))
                    } else {
                        try call(line, &carried)
                        steps.append(PAMStep(line: line.number, control: control, module: .mysql(carried)))
                    }
                }
                accountStacks[end] = steps
            }
            return .success(
                PAMServicePlan(service: service, origin: origin, authentication: authSteps, accountStacks: accountStacks, notices: notices))
        } catch {
            return .failure(error)
        }
    }

    /// Whether the control field (the second) of a joined line starts with `[`.
    static func controlIsBracketed(_ line: String) -> Bool {
        var fields = 0
        var inField = false
        for character in line {
            let isBlank = character == " " || character == "\t"
            if !isBlank, !inField {
                fields += 1
                if fields == 2 { return character == "[" }
            }
            inField = !isBlank
        }
        return false
    }
}
