/// What `status` shows: a snapshot of the daemon's counters, taken by the daemon and formatted
/// here so the format is one stable, tested place (scripts and monitoring parse it).
public struct ControlStatus: Equatable, Sendable {
    /// One counter of answered requests: the protocol ("saslauthd", "dovecot") and the result
    /// as the daemon names it ("ok", "no", "fail", "tempfail", ...).
    public struct RequestKey: Hashable, Comparable, Sendable {
        public let protocolName: String
        public let result: String
        public init(protocolName: String, result: String) {
            self.protocolName = protocolName
            self.result = result
        }
        public static func < (a: RequestKey, b: RequestKey) -> Bool {
            (a.protocolName, a.result) < (b.protocolName, b.result)
        }
    }

    /// One counter of a cache: which cache ("verification", "result") and what happened
    /// ("hits", "misses", ...).
    public struct CacheKey: Hashable, Comparable, Sendable {
        public let cache: String
        public let event: String
        public init(cache: String, event: String) {
            self.cache = cache
            self.event = event
        }
        public static func < (a: CacheKey, b: CacheKey) -> Bool {
            (a.cache, a.event) < (b.cache, b.event)
        }
    }

    public var uptimeSeconds: UInt64
    public var openConnections: UInt64
    public var acceptedConnections: UInt64
    public var requests: [RequestKey: UInt64]
    /// Only the counters that moved since the start (none while the caches are off).
    public var caches: [CacheKey: UInt64]
    /// The brute-force defences' events by name ("penalty_delays", "user_locks", ...), shown as
    /// `defence NAME VALUE` lines after the requests.
    public var defence: [String: UInt64] = [:]
    /// Other counters by name (`result_cache_hits`...), shown last.
    public var events: [String: UInt64]

    public init(
        uptimeSeconds: UInt64, openConnections: UInt64, acceptedConnections: UInt64, requests: [RequestKey: UInt64],
        caches: [CacheKey: UInt64] = [:], events: [String: UInt64] = [:]
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.openConnections = openConnections
        self.acceptedConnections = acceptedConnections
        self.requests = requests
        self.caches = caches
        self.events = events
    }

    /// `name value` lines, requests sorted by protocol then result:
    ///
    ///     uptime_seconds 3600
    ///     connections_open 12
    ///     connections_accepted 4711
    ///     requests dovecot ok 4000
    ///     requests saslauthd no 3
    ///     cache verification hits 3990
    ///     cache verification misses 10
    ///     defence penalty_delays 17
    ///     result_cache_hits 3990
    public var lines: [String] {
        var out = [
            "uptime_seconds \(uptimeSeconds)",
            "connections_open \(openConnections)",
            "connections_accepted \(acceptedConnections)",
        ]
        for key in requests.keys.sorted() {
            out.append("requests \(Self.word(key.protocolName)) \(Self.word(key.result)) \(requests[key] ?? 0)")
        }
        for key in caches.keys.sorted() {
            out.append("cache \(Self.word(key.cache)) \(Self.word(key.event)) \(caches[key] ?? 0)")
        }
        for name in defence.keys.sorted() {
            out.append("defence \(Self.word(name)) \(defence[name] ?? 0)")
        }
        for name in events.keys.sorted() { out.append("\(Self.word(name)) \(events[name] ?? 0)") }
        return out
    }

    /// A counter name as one word of the line: letters, digits, `_`, `-` and `.` only.
    static func word(_ text: String) -> String {
        let kept = text.unicodeScalars.map { scalar -> Character in
            let v = scalar.value
            let ok = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F || v == 0x2D || v == 0x2E
            return ok ? Character(scalar) : "_"
        }
        return kept.isEmpty ? "_" : String(kept)
    }
}
