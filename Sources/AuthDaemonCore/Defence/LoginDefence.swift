import PAMMySQLCore
import Synchronization

/// The brute-force defences around one login, without I/O or timers: the daemon asks `admit`
/// before the login runs, `settle` with its verdict, waits the ticket's delay (a timer on the
/// event loop) and then calls `release`. One lock around the tables; each call is a few
/// dictionary operations.
///
/// - Per client address (IPv6 by prefix): `AddressPenalty`, and at most
///   `maximumRequestsPerAddress` requests in progress at once, waits included (more get a
///   temporary failure at once, so one attacker cannot hold every smtpd process). Trusted
///   networks get neither. A request without an address (saslauthd's protocol from released
///   clients) is not pooled with others under a made-up address: only the user lock applies.
/// - Per user: `UserLockTable`, when `user_lock_failures` is set. A locked user's login still
///   runs, and its answer is a refusal with reason "locked": the same answer, after the same
///   work, as a wrong password.
public final class LoginDefence: Sendable {
    /// What `admit` decided, handed back to `settle` and `release`.
    public struct Ticket: Sendable {
        /// The answer is not sent before this many milliseconds after the request arrived.
        public let delayMilliseconds: Int64
        /// When the request arrived (the daemon's clock, milliseconds).
        public let arrived: Int64
        /// The user was locked when the request arrived: its answer is a refusal.
        public let userLocked: Bool
        /// The address the penalty counts this request under (nil: none, trusted, penalty off).
        public let penaltyKey: ClientAddressKey?
        /// The address whose in-progress count this request holds (nil: none, trusted, no cap).
        let capKey: ClientAddressKey?
        let user: [UInt8]
        let fingerprint: AttemptFingerprint?
        /// The lock's policy in force when the request arrived.
        public let policy: UserLockTable.Policy
    }

    public enum Admission: Sendable {
        case admitted(Ticket)
        /// `max_requests_per_address` requests from this address are in progress.
        case tooManyFromAddress(ClientAddressKey)
    }

    /// What `settle` made of the verdict.
    public struct Settlement: Sendable {
        /// The verdict to answer: a locked user's success or refusal becomes `.refused(.locked)`.
        public let verdict: LoginVerdict
        /// Set when this refusal locked the user: the failures that did it.
        public let lockStartedAfterFailures: Int?
    }

    private struct State: ~Copyable {
        var penalty: AddressPenalty
        var locks: UserLockTable
        var inProgress: [ClientAddressKey: Int] = [:]
    }

    private let state: Mutex<State>
    /// Only read after init (HMAC reads it), so shared by every thread without the lock.
    nonisolated(unsafe) private let key: SecretBytes?

    /// `key`: the fingerprints' HMAC key (tests pass one; by default 32 random bytes).
    public init(capacity: Int = DefenceSettings().tableSize, key: [UInt8]? = nil) {
        self.key = (key ?? SecureRandom.bytes(32)).map { SecretBytes($0) }
        state = Mutex(State(penalty: AddressPenalty(capacity: capacity), locks: UserLockTable(capacity: capacity)))
    }

    public func admit(
        user: [UInt8], password: SecretBytes, remoteAddress: String?, settings: DefenceSettings, now: Int64
    ) -> Admission {
        let address = IPAddress(parsing: remoteAddress ?? "")
        let trusted = address.map { settings.trustedNetworks.contains($0) } ?? true
        let addressKey = trusted ? nil : address.map { ClientAddressKey($0, ipv6Prefix: settings.ipv6Prefix) }
        let penaltyKey = settings.penalty ? addressKey : nil
        let capKey = settings.maximumRequestsPerAddress > 0 ? addressKey : nil
        let policy = UserLockTable.Policy(
            failures: settings.userLockFailures, windowMilliseconds: Self.milliseconds(settings.userLockWindow),
            durationMilliseconds: Self.milliseconds(settings.userLockTime))
        let maximumDelay = Self.milliseconds(settings.maximumDelay)
        let needsFingerprint = penaltyKey != nil || policy.isOn
        let fingerprint = needsFingerprint ? key.flatMap { AttemptFingerprint(user: user, password: password, key: $0) } : nil
        return state.withLock { state -> Admission in
            if let capKey {
                let running = state.inProgress[capKey, default: 0]
                guard running < settings.maximumRequestsPerAddress else { return .tooManyFromAddress(capKey) }
                state.inProgress[capKey] = running + 1
            }
            let delay = penaltyKey.map { state.penalty.delay(for: $0, now: now, maximumMilliseconds: maximumDelay) } ?? 0
            let locked = policy.isOn && state.locks.isLocked(user, now: now)
            return .admitted(
                Ticket(
                    delayMilliseconds: delay, arrived: now, userLocked: locked, penaltyKey: penaltyKey, capKey: capKey, user: user,
                    fingerprint: fingerprint, policy: policy))
        }
    }

    /// Records the verdict (a success resets, a refusal counts, a temporary failure is nobody's
    /// doing and changes nothing) and says what to answer.
    public func settle(_ ticket: Ticket, verdict: LoginVerdict, now: Int64) -> Settlement {
        state.withLock { state -> Settlement in
            switch verdict {
            case .temporaryFailure:
                return Settlement(verdict: verdict, lockStartedAfterFailures: nil)
            case .accepted where !ticket.userLocked:
                if let key = ticket.penaltyKey { state.penalty.recordSuccess(key) }
                if ticket.policy.isOn { state.locks.recordSuccess(ticket.user) }
                return Settlement(verdict: verdict, lockStartedAfterFailures: nil)
            case .accepted, .refused:
                if let key = ticket.penaltyKey {
                    let answered = max(now, ticket.arrived + ticket.delayMilliseconds)
                    state.penalty.recordFailure(key, fingerprint: ticket.fingerprint, arrived: ticket.arrived, answered: answered)
                }
                if ticket.userLocked { return Settlement(verdict: .refused(.locked), lockStartedAfterFailures: nil) }
                let started = state.locks.recordFailure(ticket.user, fingerprint: ticket.fingerprint, now: now, policy: ticket.policy)
                return Settlement(verdict: verdict, lockStartedAfterFailures: started)
            }
        }
    }

    /// The answer went out: the request no longer counts against its address's cap.
    public func release(_ ticket: Ticket) {
        guard let key = ticket.capKey else { return }
        state.withLock { state in
            let left = state.inProgress[key, default: 1] - 1
            state.inProgress[key] = left > 0 ? left : nil
        }
    }

    /// `unlock USER`: whether a lock was in force.
    public func unlock(user: [UInt8], now: Int64) -> Bool {
        state.withLock { $0.locks.unlock(user, now: now) }
    }

    /// Addresses and users the tables hold now (for tests and `status`).
    public var tableCounts: (addresses: Int, users: Int, inProgress: Int) {
        state.withLock { ($0.penalty.count, $0.locks.count, $0.inProgress.values.reduce(0, +)) }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
