import PAMMySQLCore

/// The servers of a `host` list that failed to connect, each with the monotonic second until
/// which it is tried only after the others (`failover_retry`). Process-wide, so a long-lived
/// host (saslauthd, the auth daemon) does not wait for a dead first server on every login; a
/// new process starts with a clean table. Guarded by `ProcessLock`, never across I/O.
package final class FailoverTable: @unchecked Sendable {
    package static let shared = FailoverTable()

    /// Bounded, whatever the configurations: past this many entries the table starts over.
    static let maximumEntries = 64

    private var failedUntil: [ServerAddress: Int64] = [:]
    private let clock: () -> Int64

    package init(clock: @escaping () -> Int64 = monotonicSeconds) {
        self.clock = clock
    }

    /// For each server, whether it failed recently and should be tried only as a last resort.
    package func skipped(_ servers: some Collection<ServerAddress>) -> [Bool] {
        ProcessLock.withLock {
            let now = clock()
            return servers.map { server in
                guard let until = failedUntil[server] else { return false }
                if until <= now {
                    failedUntil[server] = nil
                    return false
                }
                return true
            }
        }
    }

    /// The order to try `servers` in: those not marked first, then the marked ones (all are
    /// tried when all are marked).
    package func order(_ servers: [ServerAddress]) -> [Int] {
        let skipped = skipped(servers)
        return servers.indices.filter { !skipped[$0] } + servers.indices.filter { skipped[$0] }
    }

    package func noteFailure(of server: ServerAddress, skipFor seconds: UInt32) {
        ProcessLock.withLock {
            if failedUntil.count >= Self.maximumEntries { failedUntil.removeAll() }
            failedUntil[server] = clock() + Int64(seconds)
        }
    }

    package func noteSuccess(of server: ServerAddress) {
        ProcessLock.withLock { failedUntil[server] = nil }
    }
}
