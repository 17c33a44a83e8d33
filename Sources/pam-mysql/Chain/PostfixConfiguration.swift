/// Postfix's parameters and smtpd services as `postconf` reports them (with `-c DIR` for a
/// configuration directory other than /etc/postfix), so that defaults, `$variables` and
/// master.cf's `-o` overrides resolve exactly as Postfix resolves them.
struct PostfixConfiguration {
    let parameters: [String: String]
    let services: [PostfixService]

    /// Why the configuration could not be read.
    struct Failure: Error {
        let message: String
    }

    static func load(configDirectory: String?) -> Result<PostfixConfiguration, Failure> {
        let base = ["postconf"] + (configDirectory.map { ["-c", $0] } ?? [])
        guard let main = ChildProcess.run(base + ["-x"], mergeStandardError: false) else {
            return .failure(Failure(message: "cannot run postconf (is postfix installed?)"))
        }
        guard main.status == 0 else {
            let why = ChildProcess.run(base + ["-x"], mergeStandardError: true)?.output ?? ""
            let firstLine = why.split(separator: "\n").first { $0.contains("fatal") }.map(String.init) ?? "exit status \(main.status)"
            return .failure(Failure(message: "postconf failed: \(firstLine)"))
        }
        let parameters = parseAssignments(main.output)
        let master = ChildProcess.run(base + ["-M"])?.output ?? ""
        let overrideText = ChildProcess.run(base + ["-P", "-x"])?.output ?? ""
        var overrides: [String: [String: String]] = [:]
        for (key, value) in parseAssignments(overrideText) {
            // service/type/parameter
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            overrides["\(parts[0])/\(parts[1])", default: [:]][String(parts[2])] = value
        }
        var services: [PostfixService] = []
        for line in master.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 8 else { continue }
            let command = fields[7].split(separator: "/").last.map(String.init) ?? fields[7]
            guard command == "smtpd" else { continue }
            services.append(
                PostfixService(
                    name: fields[0], type: fields[1], chrooted: fields[4] == "y",
                    overrides: overrides["\(fields[0])/\(fields[1])"] ?? [:]))
        }
        return .success(PostfixConfiguration(parameters: parameters, services: services))
    }

    /// `name = value` lines (postconf's output), values trimmed.
    static func parseAssignments(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingBlanks()
            let value = line[line.index(after: equals)...].trimmingBlanks()
            if !name.isEmpty { result[name] = value }
        }
        return result
    }

    /// The value of `name` for `service`: its `-o` override, else main.cf's (or the default).
    func value(_ name: String, for service: PostfixService?) -> String {
        service?.overrides[name] ?? parameters[name] ?? ""
    }

    func isYes(_ name: String, for service: PostfixService?) -> Bool {
        ["yes", "true", "1"].contains(value(name, for: service).lowercased())
    }

    var queueDirectory: String { parameters["queue_directory"] ?? "/var/spool/postfix" }
    var configDirectory: String { parameters["config_directory"] ?? "/etc/postfix" }
    var mailOwner: String { parameters["mail_owner"].flatMap { $0.isEmpty ? nil : $0 } ?? "postfix" }

    /// The host path of a socket smtpd opens: inside queue_directory when chrooted, and a
    /// relative path is relative to queue_directory either way (smtpd's working directory).
    func socketHostPath(_ path: String, chrooted: Bool) -> String {
        if path.hasPrefix("/") && !chrooted { return path }
        return FileSystem.join(queueDirectory, path)
    }

    /// The name libsasl hands on: with smtpd_sasl_local_domain set, a name without `@` gets it.
    func qualifiedUser(_ user: String) -> String {
        let domain = parameters["smtpd_sasl_local_domain"] ?? ""
        return user.contains("@") || domain.isEmpty ? user : "\(user)@\(domain)"
    }

    /// A restriction list's entries (commas and blanks separate them).
    static func restrictionList(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
    }
}

extension Substring {
    func trimmingBlanks() -> String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return String(text)
    }
}
