import PAMMySQLCore

/// One auth or account line the daemon runs: its control and what it runs. pam_mysql lines carry
/// the options in force when libpam would call them (carried from the lines before, as the module
/// carries them within one PAM transaction, and with their `config_file` already read).
///
/// `@unchecked Sendable`: built once per (re)load and never changed; the `SecretBytes` inside the
/// options (the database password) are only read after that.
public struct PAMStep: @unchecked Sendable {
    public enum Module {
        /// `pam_permit.so`: always success.
        case permit
        /// `pam_deny.so`: always failure.
        case deny
        /// `pam_mysql.so` (ours or the C module's file name), with its options.
        case mysql(ModuleOptions)
    }

    /// The line in the pam.d file (the section's line in the daemon's file for a `[service]`).
    public let line: Int
    public let control: PAMControl
    public let module: Module

    public init(line: Int, control: PAMControl, module: Module) {
        self.line = line
        self.control = control
        self.module = module
    }
}
