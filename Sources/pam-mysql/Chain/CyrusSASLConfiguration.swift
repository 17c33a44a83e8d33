/// The Cyrus SASL application file Postfix's smtpd reads (`<smtpd_sasl_path>.conf`, usually
/// smtpd.conf): `pwcheck_method`, `mech_list`, `saslauthd_path`.
struct CyrusSASLConfiguration {
    /// The file read, nil when none exists where Postfix looks.
    let path: String?
    /// Where Postfix looks, in order.
    let searched: [String]
    let settings: [String: String]

    var pwcheckMethod: String? { settings["pwcheck_method"] }
    var mechanisms: [String]? {
        settings["mech_list"].map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map { $0.uppercased() } }
    }
    /// The socket libsasl opens (Debian builds with /var/run/saslauthd).
    var saslauthdPath: String { settings["saslauthd_path"] ?? "/var/run/saslauthd/mux" }

    /// Debian's Postfix reads `$config_directory/sasl/NAME.conf`; `cyrus_sasl_config_path`,
    /// when set, is searched first.
    static func locate(application: String, configDirectory: String, cyrusConfigPath: String) -> CyrusSASLConfiguration {
        var directories = cyrusConfigPath.split(separator: ":").map(String.init)
        let debian = FileSystem.join(configDirectory, "sasl")
        if !directories.contains(debian) { directories.append(debian) }
        let candidates = directories.map { FileSystem.join($0, "\(application).conf") }
        for candidate in candidates {
            if let text = Check.readText(candidate) {
                return CyrusSASLConfiguration(path: candidate, searched: candidates, settings: parse(text))
            }
        }
        return CyrusSASLConfiguration(path: nil, searched: candidates, settings: [:])
    }

    /// `key: value` lines as libsasl reads them (`#` comments, blanks trimmed).
    static func parse(_ text: String) -> [String: String] {
        var settings: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingBlanks()
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            let key = Substring(line[..<colon]).trimmingBlanks()
            let value = Substring(line[line.index(after: colon)...]).trimmingBlanks()
            settings[key] = value
        }
        return settings
    }
}
