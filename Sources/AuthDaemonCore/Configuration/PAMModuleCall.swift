import PAMMySQLCore

/// One pam_mysql step for the daemon to run with its own database code.
public struct PAMModuleCall: @unchecked Sendable {
    public let phase: PAMPhase
    public let line: Int
    public let control: PAMControl
    public let options: ModuleOptions

    public init(phase: PAMPhase, line: Int, control: PAMControl, options: ModuleOptions) {
        self.phase = phase
        self.line = line
        self.control = control
        self.options = options
    }
}
