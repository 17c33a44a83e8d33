import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every client connection of both listeners: at most `maximum` at once (one more is closed at
/// accept, with a log line at most every 10 s), and the list that a shutdown closes after the
/// drain.
final class ConnectionTracker: @unchecked Sendable {
    private let lock = NIOLock()
    private var open: [ObjectIdentifier: any Channel] = [:]
    private var nextID: UInt64 = 0
    private var lastRefusalLog: NIODeadline = .distantPast
    let maximum: Int
    private let counters: DaemonCounters
    private let logger: Logger

    init(maximum: Int, counters: DaemonCounters, logger: Logger) {
        self.maximum = maximum
        self.counters = counters
        self.logger = logger
    }

    /// The connection's number, or nil when the limit is reached.
    func admit(_ channel: any Channel) -> UInt64? {
        let admitted: UInt64? = lock.withLock {
            guard open.count < maximum else { return nil }
            open[ObjectIdentifier(channel)] = channel
            nextID += 1
            return nextID
        }
        guard let admitted else {
            let logNow: Bool = lock.withLock {
                let now = NIODeadline.now()
                guard now - lastRefusalLog >= .seconds(10) else { return false }
                lastRefusalLog = now
                return true
            }
            if logNow { logger.warning("connection refused: \(maximum) connections open (max_connections)") }
            return nil
        }
        counters.connectionOpened()
        channel.closeFuture.whenComplete { [self] _ in
            _ = lock.withLock { open.removeValue(forKey: ObjectIdentifier(channel)) }
            counters.connectionClosed()
        }
        return admitted
    }

    var count: Int { lock.withLock { open.count } }

    func closeAll() {
        let channels = lock.withLock { Array(open.values) }
        for channel in channels { channel.close(promise: nil) }
    }
}
