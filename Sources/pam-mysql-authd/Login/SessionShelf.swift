import AccountDatabase
import NIOConcurrencyHelpers
import PAMMySQLCore

/// Idle database sessions per service and step (authentication, account), each keeping its
/// persistent connection between requests; a database thread takes one for a request and puts
/// it back. `removeAll` (SIGHUP) drops them: their connections go back to the shared pool,
/// where sessions of an unchanged identity find them again.
final class SessionShelf: @unchecked Sendable {
    private let lock = NIOLock()
    private var idle: [String: [DatabaseSession]] = [:]
    private var generation = 0
    private let capacityPerKey: Int

    init(capacityPerKey: Int) {
        self.capacityPerKey = capacityPerKey
    }

    /// A session for `key` whose options are `options`.
    func take(_ key: String, options: ModuleOptions) -> (session: DatabaseSession, generation: Int) {
        let found: (DatabaseSession?, Int) = lock.withLock { (idle[key]?.popLast(), generation) }
        if let session = found.0 { return (session, found.1) }
        let session = DatabaseSession(options: options, log: DatabaseLog(verbose: options.verbose) { _, _ in })
        return (session, found.1)
    }

    /// Gives a session back, unless the configuration changed since it was taken.
    func put(_ session: DatabaseSession, key: String, generation taken: Int) {
        session.log = DatabaseLog(verbose: false) { _, _ in }
        session.accountRow = nil
        let kept: Bool = lock.withLock {
            guard taken == generation, idle[key, default: []].count < capacityPerKey else { return false }
            idle[key, default: []].append(session)
            return true
        }
        if !kept { session.end() }
    }

    /// Drops every idle session (their connections return to the pool outside the lock).
    func removeAll() {
        let dropped: [String: [DatabaseSession]] = lock.withLock {
            generation += 1
            defer { idle = [:] }
            return idle
        }
        for sessions in dropped.values {
            for session in sessions { session.end() }
        }
    }
}
