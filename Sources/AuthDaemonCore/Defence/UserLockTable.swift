/// The per-user lock (`user_lock_failures`, off by default), for the MySQL users pam_faillock
/// cannot see (it answers PAM_IGNORE for users NSS does not know): `failures` refusals within
/// `window`, from any address or none, lock the user for `duration`; a success before that
/// forgets the failures; `unlock` (the control socket's `unlock USER`) ends a lock at once.
///
/// Users are keyed by their name with ASCII letters folded to lower case: with MySQL's usual
/// case-insensitive collations `Alice` and `alice` are one account, and an attacker must not
/// get a fresh count by changing case. The same wrong password repeated (a phone with an old
/// password) counts once, as for the address penalty. Anyone who knows a user name can lock
/// that user out: this is a denial-of-service lever, hence off by default.
/// At most `capacity` users, least recently used forgotten first.
public struct UserLockTable {
    struct Entry {
        /// Times of the failures still within the window, oldest first (at most `failures`).
        var failures: [Int64] = []
        var lockedUntil: Int64?
        var recent: [AttemptFingerprint] = []
    }

    public struct Policy: Equatable, Sendable {
        public var failures: Int
        public var windowMilliseconds: Int64
        public var durationMilliseconds: Int64

        public init(failures: Int, windowMilliseconds: Int64, durationMilliseconds: Int64) {
            self.failures = failures
            self.windowMilliseconds = windowMilliseconds
            self.durationMilliseconds = durationMilliseconds
        }

        public var isOn: Bool { failures > 0 }
    }

    private var table: LRUTable<[UInt8], Entry>

    public init(capacity: Int) { table = LRUTable(capacity: capacity) }

    public var count: Int { table.count }

    public static func key(_ user: [UInt8]) -> [UInt8] {
        user.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
    }

    /// Whether `user` is locked now (an expired lock is lifted, with its failures).
    public mutating func isLocked(_ user: [UInt8], now: Int64) -> Bool {
        let key = Self.key(user)
        guard let entry = table.peek(key), let until = entry.lockedUntil else { return false }
        guard now < until else {
            table.removeValue(for: key)
            return false
        }
        return true
    }

    /// A refusal for `user`; returns the number of failures when this one starts a lock.
    public mutating func recordFailure(_ user: [UInt8], fingerprint: AttemptFingerprint?, now: Int64, policy: Policy) -> Int? {
        guard policy.isOn else { return nil }
        let key = Self.key(user)
        var entry = table.peek(key) ?? Entry()
        if let until = entry.lockedUntil {
            guard now >= until else { return nil }
            entry = Entry()
        }
        if let fingerprint {
            guard !entry.recent.contains(where: { $0.matches(fingerprint) }) else { return nil }
            entry.recent.append(fingerprint)
            if entry.recent.count > AddressPenalty.rememberedAttempts { entry.recent.removeFirst() }
        }
        entry.failures.removeAll { now - $0 >= policy.windowMilliseconds }
        entry.failures.append(now)
        if entry.failures.count > policy.failures { entry.failures.removeFirst(entry.failures.count - policy.failures) }
        var started: Int?
        if entry.failures.count >= policy.failures {
            entry.lockedUntil = now + policy.durationMilliseconds
            started = entry.failures.count
        }
        table.set(entry, for: key)
        return started
    }

    /// A success (while not locked) forgets the user's failures.
    public mutating func recordSuccess(_ user: [UInt8]) {
        table.removeValue(for: Self.key(user))
    }

    /// Ends a lock; whether there was one in force.
    public mutating func unlock(_ user: [UInt8], now: Int64) -> Bool {
        let locked = isLocked(user, now: now)
        table.removeValue(for: Self.key(user))
        return locked
    }
}
