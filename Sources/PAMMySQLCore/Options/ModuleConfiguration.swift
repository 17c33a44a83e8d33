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
        _ options: inout ModuleOptions, arguments: [SecretBytes], log: @escaping LogSink
    ) throws(OptionError) {
        try update(&options, arguments: arguments, notices: OptionNotice.logging(to: log))
    }

    public static func update(
        _ options: inout ModuleOptions, arguments: [SecretBytes], notices: OptionNoticeSink
    ) throws(OptionError) {
        var updated = options
        var lines: [OptionNotice] = []
        try ModuleArgumentParser.apply(arguments, to: &updated) { lines.append($0) }
        if let path = updated.configFile {
            let contents: ConfigFileReader.Contents
            switch ConfigFileReader.read(path: path) {
            case .failure(let problem): throw .unusableConfigFile(path: path, problem: problem)
            case .success(let read): contents = read
            }
            // Only a warning: a group that may read it (Debian's 0640) is normal, and the
            // password is the administrator's to expose.
            if contents.isWorldReadable {
                lines.append(.worldReadableConfigFile(path: LogText.escaped(path)))
            }
            try apply(ConfigFile(parsing: contents.text), to: &updated, path: path) { lines.append($0) }
        }
        options = updated
        lines.forEach(notices)
    }

    /// Applies parsed entries in file order (so `verbose` affects only what follows it), all or
    /// nothing: a syntax error anywhere, an invalid value or a near miss of a restriction
    /// throws before `options` changes or anything is logged.
    public static func apply(_ file: ConfigFile, to options: inout ModuleOptions, path: String, log: @escaping LogSink) throws(OptionError)
    {
        try apply(file, to: &options, path: path, notices: OptionNotice.logging(to: log))
    }

    public static func apply(
        _ file: ConfigFile, to options: inout ModuleOptions, path: String, notices: OptionNoticeSink
    ) throws(OptionError) {
        if let error = file.syntaxError { throw .configFileSyntax(path: path, error: error) }
        var updated = options
        var lines: [OptionNotice] = []
        let shownPath = LogText.escaped(path)
        for entry in file.entries {
            guard let spec = OptionTable.configEntry(named: entry.key) else {
                let key = Array(entry.key.utf8)
                let origin = "on line \(entry.line) of \(shownPath)"
                if let meant = MisspeltRestriction.closeMatch(to: key) {
                    throw .misspeltRestriction(name: LogText.optionName(bytes: key), closeTo: meant, origin: origin)
                }
                lines.append(.unknownConfigKey(name: LogText.optionName(bytes: key), origin: origin))
                continue
            }
            // Deliberate difference: an invalid crypt value fails closed instead of becoming plain text.
            try spec.apply(entry.value, to: &updated, origin: "line \(entry.line) of \(shownPath)")
            if updated.verbose { lines.append(.trace(spec.traceLine(name: entry.key, value: entry.value))) }
        }
        options = updated
        lines.forEach(notices)
    }
}
