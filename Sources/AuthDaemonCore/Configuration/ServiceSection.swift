import PAMMySQLCore

/// A `[service NAME]` section: the module's options under their pam.d names (`db = mail`,
/// `config_file = /etc/pam-mysql.conf`; a flag takes yes/no, as in pam_mysql), and `account`.
/// It becomes one `required` pam_mysql auth step and, with `account = yes` (the default), one
/// `required` account step with the same options: what `auth required pam_mysql.so …` plus
/// `account required pam_mysql.so …` with the same arguments do.
///
/// Stricter than a pam.d line: an unknown key is an error (with a did-you-mean), not a warning.
enum ServiceSection {
    static let accountKey = "account"

    static var keys: [String] {
        OptionTable.all.compactMap(\.argumentName) + [accountKey]
    }

    static func plan(
        _ section: AuthdConfigFile.Section, service: ServiceName, path: String
    ) -> Result<PAMServicePlan, AuthdConfigurationError> {
        var options = ModuleOptions()
        var checksAccount = true
        var seen: Set<String> = []
        var firstError: AuthdConfigurationError?
        func fail(_ entry: AuthdConfigFile.Entry, _ problem: AuthdConfigurationError.Problem) {
            if firstError == nil { firstError = AuthdConfigurationError(file: path, line: entry.line, key: entry.key, problem: problem) }
        }
        for entry in section.entries {
            guard seen.insert(entry.key).inserted else {
                fail(entry, .duplicateKey)
                continue
            }
            if entry.key == accountKey {
                guard let flag = SettingValue.boolean(entry.text) else {
                    fail(entry, .invalidValue(expected: "yes or no"))
                    continue
                }
                checksAccount = flag
                continue
            }
            guard let spec = OptionTable.argument(named: entry.key) else {
                fail(entry, .unknownKey(didYouMean: KeySuggestion.closest(to: entry.key, among: keys)))
                continue
            }
            do {
                try spec.apply(entry.value, to: &options, origin: "line \(entry.line) of \(LogText.escaped(path))")
            } catch {
                fail(entry, .moduleOption(error))
            }
        }
        if let firstError { return .failure(firstError) }
        var notices: [AuthdNotice] = []
        let origin = "[service \(service.text)] in \(path)"
        if options.configFile != nil {
            // The module's own reading of config_file (ownership, mode, syntax, its keys).
            do {
                try ModuleConfiguration.update(&options, arguments: []) { notice in
                    if case .trace = notice { return }
                    notices.append(AuthdNotice(notice.priority, "\(LogText.escaped(origin)): \(notice.message)"))
                }
            } catch {
                return .failure(AuthdConfigurationError(file: path, line: section.line, key: "config_file", problem: .moduleOption(error)))
            }
        }
        let auth = [PAMStep(line: section.line, control: .required, module: .mysql(options))]
        let account = checksAccount ? [PAMStep(line: section.line, control: .required, module: .mysql(options))] : []
        return .success(
            PAMServicePlan(service: service, origin: origin, authentication: auth, accountStacks: [0: account], notices: notices))
    }
}
