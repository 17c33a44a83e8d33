/// saslauthd's command-line flags as `saslauthd-main.c` parses them (getopt
/// "a:cdhlm:n:O:rs:t:vV"), from a running process or from /etc/default/saslauthd.
struct SaslauthdFlags: Equatable {
    var mechanism: String?
    /// `-r`: login@realm reaches PAM whole.
    var realm = false
    /// `-c`: the credential cache; `-t` its lifetime (default 28800 s).
    var cache = false
    var cacheTimeout: Int?
    /// `-m DIR`: the socket is DIR/mux (default /var/run/saslauthd).
    var runDirectory = "/var/run/saslauthd"
    var workers: Int?

    var socketPath: String { FileSystem.join(runDirectory, "mux") }

    private static let takesValue: Set<Character> = ["a", "m", "n", "O", "s", "t"]

    init(arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument.count > 1 else { continue }
            var letters = Array(argument.dropFirst())
            while !letters.isEmpty {
                let letter = letters.removeFirst()
                if Self.takesValue.contains(letter) {
                    var value = String(letters)
                    letters = []
                    if value.isEmpty, index < arguments.count {
                        value = arguments[index]
                        index += 1
                    }
                    switch letter {
                    case "a": mechanism = value
                    case "m": runDirectory = value
                    case "n": workers = Int(value)
                    case "t": cacheTimeout = Int(value)
                    default: break
                    }
                } else if letter == "r" {
                    realm = true
                } else if letter == "c" {
                    cache = true
                }
            }
        }
    }

    /// The flags in words, for a verdict.
    var summary: String {
        var parts = ["-a \(mechanism ?? "(none)")"]
        if realm { parts.append("-r") }
        if cache { parts.append("-c (cache, \(cacheTimeout ?? 28800) s)") }
        parts.append("-m \(runDirectory)")
        return parts.joined(separator: " ")
    }
}
