/// Where the `host` option points, parsed as pam_mysql 0.8.2 does.
public enum ServerAddress: Hashable, Sendable {
    /// No `host`: the client library's default Unix socket.
    case defaultSocket
    /// A value starting with `/`.
    case socket(path: String)
    /// A name or address, with the port after the first `:` (0 means the library default, 3306).
    /// `localhost` means the Unix socket by libmariadb's convention.
    case network(host: String, port: UInt32)

    /// For log lines: where the connection goes, never with credentials.
    public var description: String {
        switch self {
        case .defaultSocket: "the default socket"
        case .socket(let path): "socket \(LogText.escaped(path))"
        case .network(let host, let port): "\(LogText.escaped(host)) port \(port == 0 ? "default" : String(port))"
        }
    }

    /// The servers of a `host` value, in the order they are tried. A value without a comma is
    /// one server parsed exactly as pam_mysql 0.8.2 does (`host:port`, a socket path,
    /// `localhost`); with commas, each entry (blanks around it ignored, empty ones skipped) is
    /// parsed the same way. No host name contains a comma, so no working pam_mysql value changes
    /// meaning (only a socket path with a comma in it, which cannot be used in a list).
    public static func list(hostOption: String?) -> [ServerAddress] {
        guard let value = hostOption, value.utf8.contains(UInt8(ascii: ",")) else {
            return [ServerAddress(hostOption: hostOption)]
        }
        let entries = value.split(separator: ",", omittingEmptySubsequences: true).compactMap { part -> ServerAddress? in
            let trimmed = part.utf8.drop(while: { $0 == 32 || $0 == 9 }).reversed().drop(while: { $0 == 32 || $0 == 9 })
            guard !trimmed.isEmpty else { return nil }
            return ServerAddress(hostOption: String(decoding: trimmed.reversed(), as: UTF8.self))
        }
        return entries.isEmpty ? [ServerAddress(hostOption: value)] : entries
    }

    public init(hostOption: String?) {
        guard let value = hostOption else {
            self = .defaultSocket
            return
        }
        if value.hasPrefix("/") {
            self = .socket(path: value)
            return
        }
        guard let colon = value.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            self = .network(host: value, port: 0)
            return
        }
        let host = String(value[..<colon])
        // strtol: leading blanks and a sign are allowed, digits up to the first non-digit,
        // trailing junk ignored (`127.0.0.1:13306x` works), no digits means 0.
        var rest = value.utf8[value.utf8.index(after: colon)...].drop(while: { $0 == 32 || ($0 >= 9 && $0 <= 13) })
        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        var port: UInt64 = 0
        for byte in rest {
            guard byte >= 48, byte <= 57 else { break }
            port = min(port * 10 + UInt64(byte - 48), UInt64(UInt32.max))
        }
        // pam_mysql hands the long to an unsigned int; a negative or huge port fails to connect.
        self = .network(host: host, port: negative ? UInt32(truncatingIfNeeded: -Int64(port)) : UInt32(port))
    }
}
