import PAMMySQLCore

/// Why the daemon refuses a service: one log line's worth, naming the file and the line. The
/// daemon answers every request for the service with a failure (never a success) until a reload
/// finds the service usable.
public struct ServiceRefusal: Error, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case invalidName(ServiceNameError)
        /// No `<pam-dir>/<service>` (and no `[service]` section).
        case missingFile
        case unreadableFile(ConfigFileReader.Failure)
        /// A line libpam cannot use either (too few fields): libpam fails every call of its type.
        case malformedLine(line: Int)
        case include(line: Int)
        /// `-auth`/`-account`: libpam skips it when the module file is missing, which the daemon
        /// cannot know.
        case dashedType(line: Int, type: String)
        case unknownType(line: Int, type: String)
        case unsupportedModule(line: Int, module: String)
        case unsupportedControl(line: Int, PAMControl.Refusal)
        /// No auth line: libpam would run `/etc/pam.d/other`'s auth stack.
        case noAuthLine
        /// No account line: libpam would run `/etc/pam.d/other`'s account stack after the
        /// password (saslauthd calls `pam_acct_mgmt`).
        case noAccountLine
        /// The module would refuse this line's options (PAM_SERVICE_ERR on every call).
        case moduleOptions(line: Int, OptionError)
    }

    /// The service name, escaped for the log.
    public let service: String
    /// The file (or `[service]` section) the reason is about; empty for an invalid name.
    public let origin: String
    public let reason: Reason

    public init(service: String, origin: String, reason: Reason) {
        self.service = service
        self.origin = origin
        self.reason = reason
    }

    public var message: String {
        let prefix = "service \"\(service)\" refused: "
        let origin = LogText.escaped(origin)
        return
            switch reason
        {
        case .invalidName(let error): prefix + error.message
        case .missingFile:
            prefix
                + "\(origin) does not exist (libpam would fall back to /etc/pam.d/other; pam-mysql-authd refuses instead)"
        case .unreadableFile(let failure): prefix + "\(origin) \(failure.message)"
        case .malformedLine(let line):
            prefix + "\(origin) line \(line) is not a pam.d line (type, control, module); libpam would fail every call of its type"
        case .include(let line):
            prefix + "\(origin) line \(line): @include is not followed (put the lines in the service's own file)"
        case .dashedType(let line, let type):
            prefix + "\(origin) line \(line): -\(type) lines are not supported (libpam skips them only when the module is missing)"
        case .unknownType(let line, let type):
            prefix + "\(origin) line \(line): unknown type \"\(LogText.escaped(type))\""
        case .unsupportedModule(let line, let module):
            prefix
                + "\(origin) line \(line): module \(LogText.escaped(module)) cannot be run by pam-mysql-authd (only pam_mysql.so, pam_permit.so and pam_deny.so)"
        case .unsupportedControl(let line, let refusal): prefix + "\(origin) line \(line): \(refusal.message)"
        case .noAuthLine:
            prefix + "\(origin) has no auth line (libpam would use the auth lines of /etc/pam.d/other; pam-mysql-authd refuses instead)"
        case .noAccountLine:
            prefix
                + "\(origin) has no account line (libpam would use the account lines of /etc/pam.d/other; pam-mysql-authd refuses instead): add \"account required pam_mysql.so\" with the auth line's options, or \"account required pam_permit.so\" for no account check"
        case .moduleOptions(let line, let error):
            prefix + (line > 0 ? "\(origin) line \(line): " : "\(origin): ") + error.message
        }
    }
}
