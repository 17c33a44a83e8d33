/// Turns one PAM call's arguments, plus the config file they may name, into the options in
/// force, in pam_mysql's order: the line's arguments update the handle's options, then the
/// config file (read on every call) overrides them.
///
/// Deliberate difference: a configuration that cannot be used in full is not used at all.
/// pam_mysql carried on after a missing file or a syntax error with whatever it had parsed, so
/// the lines it lost (`users.password_crypt`, `users.where_clause`, TLS) silently stopped
/// applying. Here every such case throws, the handle's options stay as they were, and nothing
/// but the caller's one error line is logged.
public enum ModuleConfiguration {
    public static func update(
        _ options: inout ModuleOptions, arguments: [SecretBytes], log: LogSink
    ) throws(OptionError) {
        var updated = options
        var lines: [(LogPriority, String)] = []
        let collect: LogSink = { lines.append(($0, $1)) }
        try ModuleArgumentParser.apply(arguments, to: &updated, log: collect)
        if let path = updated.configFile {
            let contents: ConfigFileReader.Contents
            switch ConfigFileReader.read(path: path) {
            case .failure(let problem): throw .unusableConfigFile(path: path, problem: problem)
            case .success(let read): contents = read
            }
            // Only a warning: a group that may read it (Debian's 0640) is normal, and the
            // password is the administrator's to expose.
            if contents.isWorldReadable {
                collect(.warning, "config file \(LogText.escaped(path)) is readable by every user, but holds the database password: chmod o-r it")
            }
            try apply(ConfigFile(parsing: contents.text), to: &updated, path: path, log: collect)
        }
        options = updated
        for (priority, line) in lines { log(priority, line) }
    }

    /// Applies parsed entries in file order (so `verbose` affects only what follows it), all or
    /// nothing: a syntax error anywhere, an invalid value or a near miss of a restriction
    /// throws before `options` changes or anything is logged.
    public static func apply(_ file: ConfigFile, to options: inout ModuleOptions, path: String, log: LogSink) throws(OptionError) {
        if let error = file.syntaxError { throw .configFileSyntax(path: path, error: error) }
        var updated = options
        var lines: [(LogPriority, String)] = []
        let shownPath = LogText.escaped(path)
        for entry in file.entries {
            guard let spec = OptionTable.configEntry(named: entry.key) else {
                let key = Array(entry.key.utf8)
                let origin = "on line \(entry.line) of \(shownPath)"
                if let meant = MisspeltRestriction.closeMatch(to: key) {
                    throw .misspeltRestriction(name: LogText.optionName(bytes: key), closeTo: meant, origin: origin)
                }
                lines.append((.err, "unknown option \(LogText.optionName(bytes: key)) \(origin)"))
                continue
            }
            // Deliberate difference: an invalid crypt value fails closed instead of becoming plain text.
            try spec.apply(entry.value, to: &updated, origin: "line \(entry.line) of \(shownPath)")
            if updated.verbose { lines.append((.info, spec.traceLine(name: entry.key, value: entry.value))) }
        }
        options = updated
        for (priority, line) in lines { log(priority, line) }
    }
}
