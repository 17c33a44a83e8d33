import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// Loads the daemon's configuration: the command line, then the daemon's file (read with the
/// module's reader: owned by root or the daemon's user, writable by nobody else; it is meant to
/// be 0640 root:pam-mysql-authd), then the defaults. Every error of the file is collected, so one
/// load reports them all; a load with any error yields no configuration, and on SIGHUP the daemon
/// keeps the one it has (`reload`).
public enum AuthdConfigurationLoader {
    /// The keys of `[daemon]`, and of `[service NAME]` (the module's pam.d option names and
    /// `account`), for help texts.
    public static var daemonKeys: [String] { DaemonSection.keys }
    public static var serviceKeys: [String] { ServiceSection.keys }

    public static func load(_ commandLine: AuthdCommandLine) -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        load(commandLine, defaultConfigFile: AuthdCommandLine.defaultConfigFile)
    }

    /// `defaultConfigFile` is the file read when the command line names none (tests point it
    /// at a file of their own).
    static func load(_ commandLine: AuthdCommandLine, defaultConfigFile: String) -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        var errors: [AuthdConfigurationError] = []
        var notices: [AuthdNotice] = []
        var settings = AuthdSettings()
        var sections: [ServiceName: PAMServicePlan] = [:]
        var fileRead: String?

        let path = commandLine.configFile ?? defaultConfigFile
        switch ConfigFileReader.read(path: path) {
        case .failure(.cannotOpen(let code)) where code == ENOENT && commandLine.configFile == nil:
            break  // no file: the defaults and the command line
        case .failure(let failure):
            errors.append(AuthdConfigurationError(file: path, problem: .unusableFile(failure)))
        case .success(let contents):
            fileRead = path
            if contents.isWorldReadable {
                notices.append(
                    AuthdNotice(
                        .warning, "\(LogText.escaped(path)) is readable by every user and may hold database passwords: chmod o-r it"))
            }
            let file = AuthdConfigFile(parsing: contents.text, path: path)
            errors += file.errors
            for section in file.sections {
                switch section.kind {
                case .invalid: continue
                case .daemon: DaemonSection.apply(section, to: &settings, path: path, errors: &errors)
                case .service(let name):
                    switch ServiceSection.plan(section, service: name, path: path) {
                    case .success(let plan):
                        sections[name] = plan
                        notices += plan.notices
                    case .failure(let error): errors.append(error)
                    }
                }
            }
        }

        CommandLineOverrides.apply(commandLine, to: &settings, errors: &errors)
        errors += DaemonSection.conflicts(in: settings, path: fileRead ?? "command line")
        guard errors.isEmpty else {
            // In file order (the command line's, without lines, last), whatever found them.
            let ordered = errors.enumerated().sorted { a, b in
                (a.element.line ?? Int.max, a.offset) < (b.element.line ?? Int.max, b.offset)
            }
            return .failure(AuthdConfigurationErrors(ordered.map(\.element)))
        }
        return .success(
            AuthdConfiguration(commandLine: commandLine, configFile: fileRead, settings: settings, sections: sections, notices: notices))
    }

    /// SIGHUP: the same command line, every file read again. On failure the caller keeps
    /// `current` and logs the errors.
    public static func reload(_ current: AuthdConfiguration) -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        load(current.commandLine)
    }
}
