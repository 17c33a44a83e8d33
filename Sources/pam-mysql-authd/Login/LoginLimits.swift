import AuthDaemonCore
import NIOCore

/// The login service's bounds, each with its reason.
struct LoginLimits: Sendable {
    /// Every answer within this (Postfix waits 10 s for the Dovecot protocol; Cyrus forever).
    var requestTimeoutSeconds: UInt32 = 8
    var requestTimeoutMilliseconds: Int64 = 7500
    /// A request that waited longer than this for a thread gets a temporary failure.
    var queueTimeoutMilliseconds: Int64 = 3000
    /// Requests accepted and not yet answered; more get a temporary failure at once.
    var maximumPending = 2048
    /// Blocking database threads, each with its own session and persistent connection:
    /// Connector/C is synchronous, so this is how many queries are in flight.
    var databaseThreads = 12
    /// Hashing threads: one per core (a slow database never holds one).
    var hashingThreads = max(1, System.coreCount)

    init() {}

    /// From `[daemon]` (the request timeout is at most 8 s: Postfix waits 10).
    init(_ limits: AuthdLimits) {
        requestTimeoutSeconds = UInt32(clamping: max(1, Self.milliseconds(limits.requestTimeout) / 1000))
        requestTimeoutMilliseconds = max(500, min(8000, Self.milliseconds(limits.requestTimeout)))
        queueTimeoutMilliseconds = max(1, Self.milliseconds(limits.queueTimeout))
        databaseThreads = max(1, limits.databaseThreads)
        hashingThreads = max(1, limits.hashThreads ?? System.coreCount)
        maximumPending = max(64, limits.maxConnections * 2)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
