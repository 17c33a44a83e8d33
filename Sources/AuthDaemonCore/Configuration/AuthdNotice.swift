import PAMMySQLCore

/// A warning for the log, with its priority.
public struct AuthdNotice: Equatable, Sendable {
    public let priority: LogPriority
    public let message: String

    public init(_ priority: LogPriority, _ message: String) {
        self.priority = priority
        self.message = message
    }
}
