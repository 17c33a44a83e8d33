import PAMMySQLCore

/// One line of the control socket's protocol, parsed. The protocol is for root at a terminal
/// and for scripts: one command per line, words separated by blanks, lower-case verbs.
///
///     status                  counters: requests by protocol and result, connections, uptime
///     reload                  re-read the configuration, as SIGHUP does
///     flush [SERVICE [USER]]  drop cached decisions (the cache issue adds it)
///     unlock USER             lift a user's lockout (the lockout issue adds it)
public enum ControlCommand: Equatable, Sendable {
    case status
    case reload
    case flush(service: String?, user: String?)
    case unlock(user: String)

    /// A line longer than this is refused, not read further: no command needs more than a
    /// service and a user name (each at most saslauthd's 256 bytes).
    public static let maximumLineLength = 1024

    public enum ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        case empty
        case unknownVerb(String)
        case wrongArguments(verb: String, usage: String)
        case invalidServiceName(String)
        case notText

        public var description: String {
            switch self {
            case .empty: return "empty command; commands: status, reload, flush [SERVICE [USER]], unlock USER"
            case .unknownVerb(let verb):
                return
                    "unknown command '\(LogText.escaped(verb, limit: 32))'; commands: status, reload, flush [SERVICE [USER]], unlock USER"
            case .wrongArguments(let verb, let usage): return "wrong arguments for \(verb); usage: \(usage)"
            case .invalidServiceName(let name):
                return "invalid service name '\(LogText.escaped(name, limit: 64))' (no '/', no '..', not empty)"
            case .notText: return "the command is not printable text"
            }
        }
    }

    /// Parses one line without its line end (a trailing CR is dropped, for `nc -C`). Words are
    /// separated by spaces or tabs; user names cannot contain either (saslauthd's protocol
    /// can carry them, but the later issues' flush/unlock then match no cached entry).
    public static func parse(_ line: [UInt8]) -> Result<ControlCommand, ParseError> {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        // Control characters (NUL included) are refused, not passed on to a cache key.
        guard bytes.allSatisfy({ ($0 >= 0x20 && $0 != 0x7F) || $0 == UInt8(ascii: "\t") }) else { return .failure(.notText) }
        let words = bytes.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            .map { String(decoding: $0, as: UTF8.self) }
        guard let verb = words.first else { return .failure(.empty) }
        let arguments = Array(words.dropFirst())
        switch verb {
        case "status":
            return arguments.isEmpty ? .success(.status) : .failure(.wrongArguments(verb: verb, usage: "status"))
        case "reload":
            return arguments.isEmpty ? .success(.reload) : .failure(.wrongArguments(verb: verb, usage: "reload"))
        case "flush":
            guard arguments.count <= 2 else {
                return .failure(.wrongArguments(verb: verb, usage: "flush [SERVICE [USER]]"))
            }
            if let service = arguments.first, !isValidServiceName(service) {
                return .failure(.invalidServiceName(service))
            }
            return .success(.flush(service: arguments.first, user: arguments.count == 2 ? arguments[1] : nil))
        case "unlock":
            guard arguments.count == 1 else { return .failure(.wrongArguments(verb: verb, usage: "unlock USER")) }
            return .success(.unlock(user: arguments[0]))
        default:
            return .failure(.unknownVerb(verb))
        }
    }

    /// The daemon's rule for a service name (it names a file in the pam.d directory).
    static func isValidServiceName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.contains("..")
    }

    /// The verb, for log lines ("control: root ran flush").
    public var verb: String {
        switch self {
        case .status: return "status"
        case .reload: return "reload"
        case .flush: return "flush"
        case .unlock: return "unlock"
        }
    }
}
