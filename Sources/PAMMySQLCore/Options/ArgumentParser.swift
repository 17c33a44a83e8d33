/// Applies one pam.d line's arguments (as libpam hands them over: already split, brackets
/// removed) to the options, the way pam_mysql 0.8.2 does.
public enum ModuleArgumentParser {
    /// - Parameter arguments: each argument's bytes.
    /// - Throws: `OptionError` for a value that makes the line unusable (PAM_SERVICE_ERR).
    public static func apply(_ arguments: [SecretBytes], to options: inout ModuleOptions, log: LogSink) throws(OptionError) {
        for argument in arguments {
            // The name runs to the first `=`; without one the value is empty (a bare flag).
            let equals = argument.firstIndex(of: UInt8(ascii: "="))
            let nameEnd = equals ?? argument.count
            let name = argument.withUnsafeBytes { String(decoding: $0[..<nameEnd], as: UTF8.self) }
            guard let spec = OptionTable.argument(named: name) else {
                // pam_mysql said this only when verbose was already on; a typo deserves an error.
                log(.err, "unknown option: \(argument.withUnsafeBytes { LogText.optionName(bytes: UnsafeRawBufferPointer(rebasing: $0[..<nameEnd])) })")
                continue
            }
            let value = equals.map { argument.slice(($0 + 1)..<argument.count) } ?? SecretBytes([])
            try spec.apply(value, to: &options, origin: "argument \(name)")
            if options.verbose { log(.info, spec.traceLine(name: name, value: value)) }
        }
    }
}
