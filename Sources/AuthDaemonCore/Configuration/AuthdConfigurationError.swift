import PAMMySQLCore

/// One problem in the daemon's configuration, naming the file, the line and the key. No message
/// ever holds a value: a line of the file may hold the database password.
public struct AuthdConfigurationError: Error, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        case unusableFile(ConfigFileReader.Failure)
        /// A line that is neither a comment, a `[section]` nor `key = value`.
        case syntax(String)
        case keyOutsideSection
        /// `shown` is the section header, escaped.
        case unknownSection(shown: String)
        case duplicateSection
        case duplicateKey
        case unknownKey(didYouMean: String?)
        /// `expected` says what would be accepted.
        case invalidValue(expected: String)
        case invalidServiceName(ServiceNameError)
        case moduleOption(OptionError)
        /// Two settings that cannot hold together.
        case conflict(String)
    }

    /// The daemon's file, or `command line`.
    public let file: String
    public let line: Int?
    public let key: String?
    public let problem: Problem

    public init(file: String, line: Int? = nil, key: String? = nil, problem: Problem) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    public var message: String {
        var place = LogText.escaped(file)
        if let line { place += " line \(line)" }
        if let key { place += ", key \(LogText.optionName(bytes: Array(key.utf8)))" }
        let text: String =
            switch problem {
            case .unusableFile(let failure): failure.message
            case .syntax(let what): what
            case .keyOutsideSection: "key before any [daemon] or [service NAME] section"
            case .unknownSection(let shown): "unknown section [\(shown)] (use [daemon] or [service NAME])"
            case .duplicateSection: "section given twice"
            case .duplicateKey: "key given twice in this section (only saslauthd and dovecot may repeat)"
            case .unknownKey(let meant): "unknown key" + (meant.map { " (did you mean \($0)?)" } ?? "")
            case .invalidValue(let expected): "invalid value: use \(expected)"
            case .invalidServiceName(let error): error.message
            case .moduleOption(let error): error.message
            case .conflict(let what): what
            }
        return "\(place): \(text)"
    }
}

/// Every error of one load, in file order; the daemon logs each and keeps its old configuration.
public struct AuthdConfigurationErrors: Error, Equatable, Sendable {
    public let errors: [AuthdConfigurationError]

    public init(_ errors: [AuthdConfigurationError]) {
        self.errors = errors
    }
}
