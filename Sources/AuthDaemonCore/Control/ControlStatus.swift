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

    public var uptimeSeconds: UInt64
    public var openConnections: UInt64
    public var acceptedConnections: UInt64
    public var requests: [RequestKey: UInt64]
    /// Other counters by name (`result_cache_hits`...), shown after the requests.
    public var events: [String: UInt64]

    public init(
        uptimeSeconds: UInt64, openConnections: UInt64, acceptedConnections: UInt64, requests: [RequestKey: UInt64],
        events: [String: UInt64] = [:]
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.openConnections = openConnections
        self.acceptedConnections = acceptedConnections
        self.requests = requests
        self.events = events
    }

    /// `name value` lines, requests sorted by protocol then result:
    ///
    ///     uptime_seconds 3600
    ///     connections_open 12
    ///     connections_accepted 4711
    ///     requests dovecot ok 4000
    ///     requests saslauthd no 3
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
