import NIOCore

/// The login service's bounds, each with its reason.
struct LoginLimits: Sendable {
    /// Every answer within this (Postfix waits 10 s for the Dovecot protocol; Cyrus forever).
    var requestTimeoutSeconds: UInt32 = 8
    /// A request that waited longer than this for a thread gets a temporary failure.
    var queueTimeoutMilliseconds: Int64 = 3000
    /// Requests accepted and not yet answered; more get a temporary failure at once.
    var maximumPending = 2048
    /// Blocking database threads, each with its own session and persistent connection:
    /// Connector/C is synchronous, so this is how many queries are in flight.
    var databaseThreads = 12
    /// Hashing threads: one per core (a slow database never holds one).
    var hashingThreads = max(1, System.coreCount)
}
