/// Debian's /etc/default/saslauthd: the flags the init script and the systemd unit start
/// saslauthd with (`-a $MECHANISMS $MECH_OPTIONS $OPTIONS -n $THREADS`).
struct SaslauthdDefaults {
    let path: String
    let flags: SaslauthdFlags
    /// START=no (older Debian init scripts): saslauthd is not started at boot.
    let startDisabled: Bool

    static func read(_ path: String) -> SaslauthdDefaults? {
        guard let text = Check.readText(path) else { return nil }
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingBlanks()
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            var value = Substring(line[line.index(after: equals)...]).trimmingBlanks()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<equals])] = value
        }
        let words =
            ["-a", values["MECHANISMS"] ?? ""] + (values["MECH_OPTIONS"] ?? "").split(separator: " ").map(String.init)
            + (values["OPTIONS"] ?? "").split(separator: " ").map(String.init)
        return SaslauthdDefaults(
            path: path, flags: SaslauthdFlags(arguments: words), startDisabled: values["START"]?.lowercased() == "no")
    }
}
