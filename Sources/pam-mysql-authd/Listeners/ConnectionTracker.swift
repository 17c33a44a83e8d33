import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every client connection of both listeners: at most `maximum` at once, and the list that a
/// shutdown closes after the drain.
///
/// At the limit a new connection is still served: the oldest idle connection (no request in
/// flight) is asked to close (`IdleEviction`), as an administrator expects with Postfix, which
/// holds one idle connection per smtpd process and reconnects when it is gone; a flood of idle
/// connections thus never locks out a new client. Only when every connection has a request in
/// flight is the new one closed at accept (a log line at most every 10 s either way). The
/// handler decides on its own event loop, so a connection that became busy meanwhile stays open
/// (the count may then pass `maximum` by the few connections of that race; the descriptor limit
/// keeps room for them).
final class ConnectionTracker: @unchecked Sendable {
    /// Sent down a connection's pipeline: close if no request is in flight.
    struct IdleEviction {}

    private struct Entry {
        let channel: any Channel
        var busy = false
    }

    private let lock = NIOLock()
    /// By connection number: numbers grow, so the smallest is the oldest.
    private var open: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 0
    private var lastRefusalLog: NIODeadline = .distantPast
    private var lastEvictionLog: NIODeadline = .distantPast
    let maximum: Int
    private let counters: DaemonCounters
    private let logger: Logger

    init(maximum: Int, counters: DaemonCounters, logger: Logger) {
        self.maximum = maximum
        self.counters = counters
        self.logger = logger
    }

    private enum Admission {
        case admitted(UInt64, evicting: (any Channel)?, logEviction: Bool)
        case refused(log: Bool)
    }

    /// The connection's number, or nil when the limit is reached and no connection is idle.
    func admit(_ channel: any Channel) -> UInt64? {
        let admission: Admission = lock.withLock {
            var evicting: (any Channel)?
            if open.count >= maximum {
                // The oldest idle one: a scan, only at the limit (max_connections entries).
                guard let oldest = open.lazy.filter({ !$0.value.busy }).min(by: { $0.key < $1.key }) else {
                    return .refused(log: Self.due(&lastRefusalLog))
                }
                // Busy until it is gone, so that the next admission picks another one.
                open[oldest.key]?.busy = true
                evicting = oldest.value.channel
            }
            nextID += 1
            open[nextID] = Entry(channel: channel)
            return .admitted(nextID, evicting: evicting, logEviction: evicting != nil && Self.due(&lastEvictionLog))
        }
        switch admission {
        case .refused(let log):
            if log { logger.warning("connection refused: \(maximum) connections open (max_connections), each with a request in flight") }
            return nil
        case .admitted(let number, let evicting, let logEviction):
            if let evicting {
                counters.idleConnectionClosed()
                if logEviction {
                    logger.notice("max_connections \(maximum) reached: closing the oldest idle connections for new ones")
                }
                evicting.pipeline.fireUserInboundEventTriggered(IdleEviction())
            }
            counters.connectionOpened()
            channel.closeFuture.whenComplete { [self] _ in
                _ = lock.withLock { open.removeValue(forKey: number) }
                counters.connectionClosed()
            }
            return number
        }
    }

    /// The handler's word: a request is in flight on connection `number` (or none any more).
    func setBusy(_ number: UInt64, _ busy: Bool) {
        lock.withLock { open[number]?.busy = busy }
    }

    var count: Int { lock.withLock { open.count } }

    func closeAll() {
        let channels = lock.withLock { open.values.map(\.channel) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// True at most every 10 s (log lines under a flood).
    private static func due(_ last: inout NIODeadline) -> Bool {
        let now = NIODeadline.now()
        guard now - last >= .seconds(10) else { return false }
        last = now
        return true
    }
}
