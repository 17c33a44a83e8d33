/// Turns one PAM call's arguments, plus the config file they may name, into the options in
/// force, in pam_mysql's order: the line's arguments update the handle's options, then the
/// config file (read on every call) overrides them.
public enum ModuleConfiguration {
    public static func update(
        _ options: inout ModuleOptions, arguments: [SecretBytes], log: LogSink
    ) throws(OptionError) {
        try ModuleArgumentParser.apply(arguments, to: &options, log: log)
        guard let path = options.configFile else { return }
        switch ConfigFileReader.read(path: path) {
        case .failure(let failure):
            // pam_mysql carried on silently; we carry on too (the arguments may suffice) but say so.
            log(.err, "config file \(LogText.escaped(path)) \(failure.message); using the module arguments only")
        case .success(let contents):
            if contents.isWorldReadable {
                log(.warning, "config file \(LogText.escaped(path)) is readable by every user, but holds the database password: chmod o-r it")
            }
            try apply(ConfigFile(parsing: contents.text), to: &options, path: path, log: log)
        }
    }

    /// Applies parsed entries in file order (so `verbose` affects only what follows it).
    public static func apply(_ file: ConfigFile, to options: inout ModuleOptions, path: String, log: LogSink) throws(OptionError) {
        for entry in file.entries {
            guard let spec = OptionTable.configEntry(named: entry.key) else {
                log(.err, "unknown option \(LogText.optionName(bytes: Array(entry.key.utf8))) on line \(entry.line) of \(LogText.escaped(path))")
                continue
            }
            // Deliberate difference: an invalid crypt value fails closed instead of becoming plain text.
            try spec.apply(entry.value, to: &options, origin: "line \(entry.line) of \(path)")
            if options.verbose { log(.info, spec.traceLine(name: entry.key, value: entry.value)) }
        }
        if let error = file.syntaxError {
            log(.err, "syntax error on line \(error.line) of \(LogText.escaped(path)): \(error.message); the rest of the file is ignored")
        }
    }
}
