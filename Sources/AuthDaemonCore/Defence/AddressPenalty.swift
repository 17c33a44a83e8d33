/// The penalty table: failures per client address (IPv6 by prefix) and how long the next answer
/// to that address waits, after Dovecot's auth penalty (`src/auth/auth-penalty.c`) but capped
/// below Postfix's 10 s: no wait for a fresh address, then 2 s, 4 s, 8 s… (each failure doubles
/// it) up to the cap. Times are milliseconds of a monotonic clock the caller passes in.
///
/// - Decay: one level is forgiven for each `2 s × 2^(level-1)` of quiet after the last counted
///   failure was answered (2 s for level 1, 16 s for level 4: half a minute of quiet cleans an
///   address). Requests in parallel each raise the level.
/// - A success resets the address.
/// - The same user and wrong password as one of the address's last `rememberedAttempts`
///   attempts (by `AttemptFingerprint`) does not raise it: a client retrying an old password
///   is not an attacker guessing.
/// - At most `capacity` addresses, least recently used forgotten first.
public struct AddressPenalty {
    struct Entry {
        var level: Int
        var lastFailure: Int64
        var recent: [AttemptFingerprint]
    }

    /// The wait after the first failure.
    public static let initialDelayMilliseconds: Int64 = 2000
    /// Levels past the cap only make the decay longer: 4 is 2+4+8+16 = 30 s of quiet to be clean.
    public static let maximumLevel = 4
    /// How many attempts per address are remembered to recognise a repeated one (Dovecot: 10).
    public static let rememberedAttempts = 10

    private var table: LRUTable<ClientAddressKey, Entry>

    public init(capacity: Int) { table = LRUTable(capacity: capacity) }

    public var count: Int { table.count }

    /// The level now (after decay) for `key`; 0 for an address with nothing against it.
    public mutating func level(of key: ClientAddressKey, now: Int64) -> Int {
        guard var entry = table.peek(key) else { return 0 }
        Self.decay(&entry, now: now)
        if entry.level == 0 {
            table.removeValue(for: key)
            return 0
        }
        table.set(entry, for: key)
        return entry.level
    }

    /// How long a request from `key` arriving now waits for its answer.
    public mutating func delay(for key: ClientAddressKey, now: Int64, maximumMilliseconds: Int64) -> Int64 {
        Self.delay(level: level(of: key, now: now), maximumMilliseconds: maximumMilliseconds)
    }

    /// A refusal for `key` from a request that arrived at `arrived` and is answered at
    /// `answered`; returns the level after it. The decay counts from the answer to the next
    /// request's arrival, as Dovecot's (which waits before the login): a client that retries
    /// as soon as it is answered climbs 2, 4, 8 s; one that pauses is forgiven a level per pause.
    @discardableResult
    public mutating func recordFailure(_ key: ClientAddressKey, fingerprint: AttemptFingerprint?, arrived: Int64, answered: Int64) -> Int {
        var entry = table.peek(key) ?? Entry(level: 0, lastFailure: arrived, recent: [])
        Self.decay(&entry, now: arrived)
        if let fingerprint {
            if entry.recent.contains(where: { $0.matches(fingerprint) }) {
                // Not raised, but not forgiven either: the retrying client keeps its wait.
                entry.lastFailure = max(entry.lastFailure, answered)
                table.set(entry, for: key)
                return entry.level
            }
            entry.recent.append(fingerprint)
            if entry.recent.count > Self.rememberedAttempts { entry.recent.removeFirst(entry.recent.count - Self.rememberedAttempts) }
        }
        entry.level = min(Self.maximumLevel, entry.level + 1)
        entry.lastFailure = max(entry.lastFailure, answered)
        table.set(entry, for: key)
        return entry.level
    }

    public mutating func recordSuccess(_ key: ClientAddressKey) {
        table.removeValue(for: key)
    }

    public static func delay(level: Int, maximumMilliseconds: Int64) -> Int64 {
        guard level > 0 else { return 0 }
        return min(max(0, maximumMilliseconds), initialDelayMilliseconds << Int64(min(level, 16) - 1))
    }

    private static func decay(_ entry: inout Entry, now: Int64) {
        while entry.level > 0 {
            let step = initialDelayMilliseconds << Int64(entry.level - 1)
            guard now - entry.lastFailure >= step else { break }
            entry.lastFailure += step
            entry.level -= 1
        }
        if entry.level == 0 { entry.recent = [] }
    }
}
