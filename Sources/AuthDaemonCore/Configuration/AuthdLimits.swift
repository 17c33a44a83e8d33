/// Bounds, so that a slow or hostile client cannot starve the others.
public struct AuthdLimits: Sendable, Equatable {
    public var maxConnections = 1024
    /// Dovecot connections: requests in flight on one connection.
    public var maxRequestsPerConnection = 16
    /// A connection with nothing in flight for this long is closed.
    public var idleTimeout = Duration.seconds(300)
    /// Every request is answered within this (Postfix waits 10 s): at most 8 s.
    public var requestTimeout = Duration.milliseconds(7500)
    /// A request waiting this long for a database or hashing thread gets a temporary failure.
    public var queueTimeout = Duration.seconds(3)
    /// Longest Dovecot protocol line (and saslauthd request) accepted.
    public var maxLineLength = 8192
    public var databaseThreads = 8
    /// nil: one per core (the daemon counts them).
    public var hashThreads: Int?

    public init() {}

    public static let maximumRequestTimeout = Duration.seconds(8)
}
