import PAMMySQLCore

/// The answer to one control command, and the one place that turns it into lines. A reply is
/// zero or more data lines, then exactly one last line that starts with `OK` or `ERROR`, so a
/// client reads until that line and knows the outcome without knowing the command.
public enum ControlReply: Equatable, Sendable {
    case status(ControlStatus)
    /// The command ran; the text says what it did ("configuration reloaded").
    case done(String)
    /// The command was understood but failed; the text says why.
    case failed(String)
    /// A command the later issues implement (flush: the cache, unlock: the lockout).
    case notSupported(verb: String)
    /// The line was not a command.
    case invalid(ControlCommand.ParseError)
    /// The line was longer than ControlCommand.maximumLineLength; the connection is closed after it.
    case lineTooLong

    /// The lines to send, without line ends (the handler adds "\n").
    public var lines: [String] {
        switch self {
        case .status(let status): return status.lines + ["OK"]
        case .done(let text): return ["OK \(Self.oneLine(text))"]
        case .failed(let text): return ["ERROR \(Self.oneLine(text))"]
        case .notSupported(let verb): return ["ERROR \(verb) is not supported yet"]
        case .invalid(let error): return ["ERROR \(error.description)"]
        case .lineTooLong: return ["ERROR line longer than \(ControlCommand.maximumLineLength) bytes"]
        }
    }

    /// Whether the command succeeded: the control client's exit status.
    public var succeeded: Bool {
        switch self {
        case .status, .done: return true
        case .failed, .notSupported, .invalid, .lineTooLong: return false
        }
    }

    /// Text from an error (a file name, a parser's message) kept on one printable line.
    static func oneLine(_ text: String) -> String {
        LogText.escaped(text, limit: 512)
    }

    /// For the client: whether `line` ends a reply, and with which outcome.
    public static func outcome(ofLastLine line: String) -> Bool? {
        if line == "OK" || line.hasPrefix("OK ") { return true }
        if line == "ERROR" || line.hasPrefix("ERROR ") { return false }
        return nil
    }
}
