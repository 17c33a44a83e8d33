/// Applies one pam.d line's arguments (as libpam hands them over: already split, brackets
/// removed) to the options, the way pam_mysql 0.8.2 does.
public enum ModuleArgumentParser {
    /// All or nothing: when an argument is refused, `options` is left as it was and nothing is
    /// logged (the caller logs the one error line); otherwise the unknown-option and verbose
    /// trace lines are logged once every argument has been accepted.
    ///
    /// - Parameter arguments: each argument's bytes.
    /// - Throws: `OptionError` for an argument that makes the line unusable (PAM_SERVICE_ERR): an
    ///   invalid value, a value-taking option without `=`, a near miss of a restriction.
    public static func apply(_ arguments: [SecretBytes], to options: inout ModuleOptions, log: @escaping LogSink) throws(OptionError) {
        try apply(arguments, to: &options, notices: OptionNotice.logging(to: log))
    }

    public static func apply(_ arguments: [SecretBytes], to options: inout ModuleOptions, notices: OptionNoticeSink) throws(OptionError) {
        var updated = options
        var lines: [OptionNotice] = []
        // The value-taking option the previous argument gave as `name=` with nothing after it.
        var afterEmptyValue: String?
        for argument in arguments {
            // The name runs to the first `=`; without one the value is empty (a bare flag).
            let equals = argument.firstIndex(of: UInt8(ascii: "="))
            let nameEnd = equals ?? argument.count
            let name = argument.withUnsafeBytes { String(decoding: $0[..<nameEnd], as: UTF8.self) }
            let emptyOption = afterEmptyValue
            afterEmptyValue = nil
            guard let spec = OptionTable.argument(named: name) else {
                let (shown, meant) = argument.withUnsafeBytes { bytes in
                    let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[..<nameEnd])
                    return (LogText.optionName(bytes: nameBytes), MisspeltRestriction.closeMatch(to: nameBytes))
                }
                // `passwd= secret`: the blank cut the value off, and this "option" may be the password.
                if let emptyOption {
                    if let meant {
                        let withheld = "(name withheld: it follows an empty \(emptyOption)=)"
                        throw .misspeltRestriction(name: withheld, closeTo: meant, origin: "on the module line")
                    }
                    lines.append(.unknownAfterEmptyValue(option: emptyOption))
                    continue
                }
                if let meant { throw .misspeltRestriction(name: shown, closeTo: meant, origin: "on the module line") }
                // pam_mysql said this only when verbose was already on; a typo deserves an error.
                lines.append(.unknownArgument(name: shown))
                continue
            }
            // `passwd secret`: libpam hands over `passwd` and `secret`. Stop here, so the next word
            // (very likely the password) is never looked at, let alone logged as an unknown option.
            if equals == nil, spec.takesValue { throw .missingValue(option: name) }
            let value = equals.map { argument.slice(($0 + 1)..<argument.count) } ?? SecretBytes([])
            // The next word may be the rest of this value, cut off by a blank: after an empty
            // value (`passwd= secret`) or after a secret's (`passwd=my secret`) it is never named.
            if spec.takesValue, value.isEmpty || spec.isSecret { afterEmptyValue = name }
            try spec.apply(value, to: &updated, origin: "argument \(name)")
            if updated.verbose { lines.append(.trace(spec.traceLine(name: name, value: value))) }
        }
        options = updated
        lines.forEach(notices)
    }
}
