import AccountDatabase
import AuthDaemonCore
import CoreMetrics
import Prometheus

/// The Prometheus side of `--metrics`: swift-metrics' types on a registry of the daemon's own
/// (no global bootstrap), fed only by `DaemonCounters`, rendered in the text format for each
/// scrape. Labels come from a fixed set (protocols, results, reasons) or from the services the
/// daemon knows (`DaemonCounters` maps anything else to "other"), so no client can grow them.
final class AuthdMetrics: Sendable {
    static let prefix = "pam_mysql_authd_"
    /// Login latency: a cached plain login takes well under a millisecond, a crypt one tens.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5),
    ]

    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
    }

    /// One answered login.
    func loginAnswered(protocolName: String, service: String, result: String, nanoseconds: Int64) {
        CoreMetrics.Counter(
            label: Self.prefix + "logins_total", dimensions: [("protocol", protocolName), ("service", service), ("result", result)],
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: Self.prefix + "login_duration_seconds", dimensions: [("protocol", protocolName)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// A temporary failure, by reason ("database unavailable", "queue timeout"...).
    func temporaryFailure(reason: String) {
        CoreMetrics.Counter(label: Self.prefix + "temporary_failures_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// A lookup in one of the caches ("result", "verification").
    func cacheLookedUp(cache: String, hit: Bool) {
        CoreMetrics.Counter(
            label: Self.prefix + "cache_lookups_total", dimensions: [("cache", cache), ("result", hit ? "hit" : "miss")],
            factory: factory
        ).increment()
    }

    /// Any other event counted by name (an expired cache entry used, a penalty applied...).
    func count(_ name: String, by amount: Int64 = 1) {
        CoreMetrics.Counter(label: Self.prefix + name, factory: factory).increment(by: amount)
    }

    /// The text format, with the gauges read now.
    func render(_ status: ControlStatus, cacheEntries: Int) -> [UInt8] {
        CoreMetrics.Gauge(label: Self.prefix + "connections_open", factory: factory).record(Int64(clamping: status.openConnections))
        CoreMetrics.Gauge(label: Self.prefix + "database_connections_open", factory: factory).record(LiveSockets.count)
        CoreMetrics.Gauge(label: Self.prefix + "database_connections_idle", factory: factory).record(ConnectionPool.shared.idleCount)
        CoreMetrics.Gauge(label: Self.prefix + "cache_entries", dimensions: [("cache", "result")], factory: factory).record(cacheEntries)
        CoreMetrics.Gauge(label: Self.prefix + "uptime_seconds", factory: factory).record(Int64(clamping: status.uptimeSeconds))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return buffer
    }
}
