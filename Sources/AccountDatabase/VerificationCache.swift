import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The verification cache (issue 16): per service and user, a keyed digest of the last password
/// that verified, with a fingerprint of everything that verification depended on: the stored
/// value the SELECT returned and the options `verifyPassword` reads (the crypt mode and the
/// scheme options). The SELECT still runs at every login; when the row now read gives the same
/// fingerprint and the typed password the same digest, the slow hash is skipped. A changed
/// password, a changed hash or changed options miss at the next login, and the account check
/// (statcolumn) runs on the fresh row whatever the cache says.
///
/// Digests are HMAC-SHA-256 under a random 32-byte key drawn from the kernel when the cache is
/// made; the key is never written anywhere and lives only in `KeyedDigest`'s libcrypto contexts.
/// Nothing here lets the cache answer for a password it has not seen verify: a wrong password,
/// an unknown user or an empty stored value is hashed (or refused) as without the cache.
///
/// Bounded: at most `capacity` entries, the least recently used evicted first; an entry older
/// than the caller's TTL is dropped at its next use. Every entry dropped (evicted, expired,
/// replaced, flushed) has its digests zeroed at once. Thread-safe under `ProcessLock` (the
/// daemon's hashing threads, a threaded PAM host); the lock covers only the table, never a
/// digest or a hash, and is taken around `fork()`.
package final class VerificationCache: @unchecked Sendable {
    /// The module's cache (`verify_cache=SECONDS`), one per process: the .so is NODELETE, so it
    /// outlives `pam_end()` and a saslauthd worker keeps it for its life. Made at the first login
    /// that asks for it; nil only if the kernel gave no random key (then nothing is cached).
    package static let shared = VerificationCache(capacity: moduleCapacity)
    /// The module's bound: a worker of a mail host sees a few thousand users at most, and an
    /// entry is about 200 bytes.
    package static let moduleCapacity = 4096

    /// Service and user, exact bytes: `ALICE` and `alice` (one row under a `_ci` collation)
    /// are two entries.
    fileprivate struct EntryKey: Hashable {
        let service: String
        let user: [UInt8]
    }

    private struct Entry {
        let key: EntryKey
        /// HMAC of what verification depended on (see `Probe`).
        let fingerprint: SecretBytes
        /// HMAC of the password that verified, bound to `fingerprint`.
        let passwordDigest: SecretBytes
        var verifiedAt: Int64
        /// Neighbours in the recency list (slot indices, -1 for none).
        var newer: Int
        var older: Int

        func wipe() {
            fingerprint.wipe()
            passwordDigest.wipe()
        }
    }

    /// One login's digests, made once (outside the lock) and used to look up and then, after a
    /// verification that matched, to remember.
    package struct Probe {
        fileprivate let cache: VerificationCache
        fileprivate let key: EntryKey
        fileprivate let fingerprint: SecretBytes
        fileprivate let passwordDigest: SecretBytes

        /// The password just verified against the stored value: the next login may skip the hash.
        package func rememberVerified() {
            cache.remember(self)
        }
    }

    /// What the cache says about a login.
    package enum Answer {
        /// The same password verified against the same stored value under the same options.
        case hit
        /// Verify as usual; `probe.rememberVerified()` after a match.
        case miss(Probe)
    }

    package let capacity: Int
    private let digest: KeyedDigest
    /// Monotonic milliseconds (a test passes its own).
    private let clock: @Sendable () -> Int64

    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    private var index: [EntryKey: Int] = [:]
    private var newest = -1
    private var oldest = -1

    /// nil when the kernel gives no random key or libcrypto cannot key SHA-256.
    package init?(capacity: Int, clock: @escaping @Sendable () -> Int64 = monotonicMilliseconds) {
        guard let key = SecureRandom.secret(32), let digest = KeyedDigest(key: key) else { return nil }
        self.capacity = max(capacity, 1)
        self.digest = digest
        self.clock = clock
    }

    /// The fingerprint and digest of this login: `stored` is the value the SELECT returned now,
    /// `password` the typed one. nil only if libcrypto fails (then the caller verifies as usual).
    package func probe(
        service: String, request: LoginRequest, password: SecretBytes, stored: SecretBytes, options: ModuleOptions
    )
        -> Probe?
    {
        let fingerprint = digest.authenticate { message in
            message.appendField("pam_mysql verification fingerprint 1")
            message.appendField(request.user)
            message.appendField(stored)
            // Everything `verifyPassword` reads besides the two secrets: a reload that changes any
            // of them changes every fingerprint, so entries made under other options never hit.
            message.append(UInt64(options.crypt.rawValue))
            message.append(UInt64(options.use323Passwd ? 1 : 0))
            message.appendField(options.defaultPassScheme)
            message.append(UInt64(options.allowWeakSchemes ? 1 : 0))
            message.append(UInt64(options.nullOK ? 1 : 0))
            message.append(UInt64(request.disallowsEmptyPassword ? 1 : 0))
        }
        guard let fingerprint else { return nil }
        let passwordDigest = digest.authenticate { message in
            message.appendField("pam_mysql verification password 1")
            message.appendField(fingerprint)
            message.appendField(password)
        }
        guard let passwordDigest else { return nil }
        return Probe(
            cache: self, key: EntryKey(service: service, user: request.user), fingerprint: fingerprint, passwordDigest: passwordDigest)
    }

    /// Whether `probe` matches the entry of its service and user, made less than
    /// `ttlMilliseconds` ago. An expired entry, or one whose stored value or options changed,
    /// is dropped; a wrong password leaves the entry (it is still the right one).
    package func lookUp(_ probe: Probe, ttlMilliseconds: Int64) -> Bool {
        let now = clock()
        return ProcessLock.withLock {
            guard let slot = index[probe.key], let entry = slots[slot] else { return false }
            let age = now - entry.verifiedAt
            guard age >= 0, age < ttlMilliseconds else {
                removeSlot(slot)
                return false
            }
            // Both compared, always, each in constant time.
            let sameFingerprint = entry.fingerprint.constantTimeEquals(probe.fingerprint)
            let samePassword = entry.passwordDigest.constantTimeEquals(probe.passwordDigest)
            guard sameFingerprint else {
                removeSlot(slot)
                return false
            }
            guard samePassword else { return false }
            touch(slot)
            return true
        }
    }

    /// `lookUp`, as the answer the login flows switch on.
    package func answer(_ probe: Probe, ttlMilliseconds: Int64) -> Answer {
        lookUp(probe, ttlMilliseconds: ttlMilliseconds) ? .hit : .miss(probe)
    }

    /// Stores `probe` as its service and user's entry (replacing and wiping an older one),
    /// evicting the least recently used entry when full.
    fileprivate func remember(_ probe: Probe) {
        let now = clock()
        ProcessLock.withLock {
            if let slot = index[probe.key] { removeSlot(slot) }
            if index.count >= capacity, oldest >= 0 { removeSlot(oldest) }
            let entry = Entry(
                key: probe.key, fingerprint: probe.fingerprint, passwordDigest: probe.passwordDigest, verifiedAt: now, newer: -1,
                older: newest)
            let slot: Int
            if let reused = freeSlots.popLast() {
                slot = reused
                slots[slot] = entry
            } else {
                slot = slots.count
                slots.append(entry)
            }
            if newest >= 0 { slots[newest]?.newer = slot }
            newest = slot
            if oldest < 0 { oldest = slot }
            index[probe.key] = slot
        }
    }

    /// Drops `user`'s entry of `service`, or of every service when `service` is nil (the
    /// control socket's `flush`). Returns how many entries were dropped.
    @discardableResult
    package func flush(service: String?, user: [UInt8]) -> Int {
        ProcessLock.withLock {
            let matching = index.filter { $0.key.user == user && (service == nil || $0.key.service == service) }.map { $0.value }
            for slot in matching { removeSlot(slot) }
            return matching.count
        }
    }

    /// Drops every entry (the control socket's `flush` without a user).
    @discardableResult
    package func removeAll() -> Int {
        ProcessLock.withLock {
            let count = index.count
            for entry in slots { entry?.wipe() }
            slots.removeAll()
            freeSlots.removeAll()
            index.removeAll()
            newest = -1
            oldest = -1
            return count
        }
    }

    /// How many entries the cache holds.
    package var count: Int { ProcessLock.withLock { index.count } }

    /// The digests of an entry, for the unit tests that check a dropped entry is zeroed.
    package func entryDigestsForTesting(service: String, user: [UInt8]) -> [SecretBytes] {
        ProcessLock.withLock {
            guard let slot = index[EntryKey(service: service, user: user)], let entry = slots[slot] else { return [] }
            return [entry.fingerprint, entry.passwordDigest]
        }
    }

    // MARK: the recency list (under the lock)

    private func unlink(_ slot: Int) {
        guard let entry = slots[slot] else { return }
        if entry.newer >= 0 { slots[entry.newer]?.older = entry.older } else { newest = entry.older }
        if entry.older >= 0 { slots[entry.older]?.newer = entry.newer } else { oldest = entry.newer }
        slots[slot]?.newer = -1
        slots[slot]?.older = -1
    }

    private func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        slots[slot]?.older = newest
        if newest >= 0 { slots[newest]?.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private func removeSlot(_ slot: Int) {
        guard let entry = slots[slot] else { return }
        unlink(slot)
        entry.wipe()
        index[entry.key] = nil
        slots[slot] = nil
        freeSlots.append(slot)
    }
}

/// Monotonic milliseconds, the verification cache's clock.
package func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// One login's use of a verification cache: which cache, under which service name, and how
/// long an entry counts.
package struct VerificationCacheUse {
    package let cache: VerificationCache
    package let service: String
    package let ttlMilliseconds: Int64

    package init(cache: VerificationCache, service: String, ttlMilliseconds: Int64) {
        self.cache = cache
        self.service = service
        self.ttlMilliseconds = ttlMilliseconds
    }
}
