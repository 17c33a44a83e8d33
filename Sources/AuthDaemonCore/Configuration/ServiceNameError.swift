/// Why a service name is refused. Every message is safe to log: the name is escaped and cut.
public enum ServiceNameError: Error, Equatable, Sendable {
    case empty
    case tooLong(count: Int)
    case controlCharacter(shown: String)
    case slash(shown: String)
    case notPrintableASCII(shown: String)
    /// `.`, `..` or a hidden file.
    case leadingDot(shown: String)

    public var message: String {
        switch self {
        case .empty: "empty service name"
        case .tooLong(let count): "service name of \(count) bytes, more than \(ServiceName.maximumLength)"
        case .controlCharacter(let shown): "service name \"\(shown)\" contains a control character"
        case .slash(let shown): "service name \"\(shown)\" contains \"/\""
        case .notPrintableASCII(let shown): "service name \"\(shown)\" contains a blank or a non-ASCII byte"
        case .leadingDot(let shown): "service name \"\(shown)\" starts with \".\""
        }
    }
}
