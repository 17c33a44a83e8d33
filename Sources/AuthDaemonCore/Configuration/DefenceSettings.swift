/// The brute-force defences of `[daemon]` (issue 15): the penalty per client address, on by
/// default, and the per-user lock, off by default.
public struct DefenceSettings: Sendable, Equatable {
    /// `penalty = yes|no`: answers to an address that failed wait 2 s, 4 s, … up to `maximumDelay`.
    public var penalty = true
    /// `penalty_trusted_networks`: no penalty and no per-address cap (default: none).
    public var trustedNetworks = TrustedNetworks()
    /// `penalty_ipv6_prefix`: IPv6 addresses count together by this prefix.
    public var ipv6Prefix = 64
    /// `penalty_max_delay`: the longest wait, counted from the request's arrival, so that the
    /// answer comes within 8 s (Postfix gives up after 10 and answers 454, which fail2ban's
    /// postfix-sasl filter does not count).
    public var maximumDelay = Duration.seconds(7)
    /// `max_requests_per_address`: requests from one address (or IPv6 prefix) in progress at
    /// once, waits included; more get a temporary failure at once (0: no cap).
    public var maximumRequestsPerAddress = 8
    /// `user_lock_failures`: this many failures within `userLockWindow` lock the user (0: off).
    public var userLockFailures = 0
    /// `user_lock_window`.
    public var userLockWindow = Duration.seconds(900)
    /// `user_lock_time`: how long a lock lasts (`pam-mysql-authd ctl unlock USER` ends it sooner).
    public var userLockTime = Duration.seconds(600)
    /// Entries per table (addresses, users), least recently used forgotten first.
    public var tableSize = 100_000

    public init() {}

    /// `penalty_max_delay` in milliseconds: up to 7.5 s, the default request timeout.
    public static let maximumDelayMilliseconds = 0...7500
    /// `user_lock_window` and `user_lock_time`: 1 s to a week.
    public static let lockMilliseconds = 1000...604_800_000
}
