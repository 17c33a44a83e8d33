/// What reading the options has to say short of refusing them: each is one log line of the
/// module, and `pam-mysql check` reads the cases instead of the wording.
public enum OptionNotice: Equatable, Sendable {
    /// An argument that names no option (`name` already made safe to log).
    case unknownArgument(name: String)
    /// An unknown word right after a value-taking option with an empty value (`passwd= secret`):
    /// it may be the value, so it is never named.
    case unknownAfterEmptyValue(option: String)
    /// A config-file key that names no option; `origin` reads "on line <n> of <path>".
    case unknownConfigKey(name: String, origin: String)
    /// The config file holds the database password but every user may read it.
    case worldReadableConfigFile(path: String)
    /// The verbose trace of an option just set (never a secret's value).
    case trace(String)

    public var priority: LogPriority {
        switch self {
        case .unknownArgument, .unknownAfterEmptyValue, .unknownConfigKey: .err
        case .worldReadableConfigFile: .warning
        case .trace: .info
        }
    }

    public var message: String {
        switch self {
        case .unknownArgument(let name):
            "unknown option: \(name)"
        case .unknownAfterEmptyValue(let option):
            "unknown option after \(option)= not shown: it may be the value, cut off by a blank (write \(option)=VALUE)"
        case .unknownConfigKey(let name, let origin):
            "unknown option \(name) \(origin)"
        case .worldReadableConfigFile(let path):
            "config file \(path) is readable by every user, but holds the database password: chmod o-r it"
        case .trace(let line):
            line
        }
    }
}

/// Where option notices go; `OptionNotice.logging(to:)` turns a log sink into one.
public typealias OptionNoticeSink = (OptionNotice) -> Void

extension OptionNotice {
    public static func logging(to log: @escaping LogSink) -> OptionNoticeSink {
        { notice in log(notice.priority, notice.message) }
    }
}
