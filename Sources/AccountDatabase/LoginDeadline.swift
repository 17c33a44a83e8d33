#if canImport(Glibc)
import Glibc
#endif

/// The point in time by which the current PAM call must have finished its database work
/// (`login_timeout`), per thread: threaded hosts run several PAM calls at once, and Connector/C
/// calls `ConnectionWait.hook` without any context of ours.
///
/// The deadline bounds the sum of every connect, TLS handshake and query of one call, whatever
/// the number of servers in `host`; a daemon answering Postfix must answer within 10 s.
package enum LoginDeadline {
    /// Monotonic milliseconds, stored in a thread-specific slot as a pointer-sized integer (0 is
    /// "no deadline").
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with a deadline `seconds` from now on this thread (restoring the previous one).
    package static func with<R>(seconds: UInt32, _ body: () -> R) -> R {
        let previous = pthread_getspecific(key)
        let until = nowMilliseconds() + Int64(seconds) * 1000
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(until)))
        defer { pthread_setspecific(key, previous) }
        return body()
    }

    /// Runs `body` with the deadline cut to `1/parts` of what is left (when a deadline is set),
    /// and tells whether that cut deadline passed: with a `host` list, a server that accepts
    /// connections but answers nothing (frozen, overloaded) costs one share, and the others
    /// are still tried within the login's deadline instead of after it.
    /// A share under `minimumMilliseconds` is not cut: `body` gets all that is left.
    package static func sharing<R>(parts: Int64, minimumMilliseconds: Int64 = 1000, _ body: () -> R) -> (result: R, expired: Bool) {
        guard parts > 1, let remaining = remainingMilliseconds(), remaining / parts >= minimumMilliseconds else { return (body(), false) }
        let previous = pthread_getspecific(key)
        let until = nowMilliseconds() + remaining / parts
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(until)))
        defer { pthread_setspecific(key, previous) }
        let result = body()
        return (result, (remainingMilliseconds() ?? 1) <= 0)
    }

    /// Runs `body` (a conversation with the user: a prompt may take minutes) with the deadline
    /// stopped: what was left before is left after. The deadline bounds database work only.
    package static func pausing<R>(_ body: () -> R) -> R {
        guard let remaining = remainingMilliseconds() else { return body() }
        pthread_setspecific(key, nil)
        defer {
            let until = nowMilliseconds() + max(remaining, 0)
            pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(max(until, 1))))
        }
        return body()
    }

    /// Milliseconds left (0 or less: passed), or nil when no deadline is set on this thread.
    package static func remainingMilliseconds() -> Int64? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Int64(UInt(bitPattern: raw)) - nowMilliseconds()
    }

    /// Whole seconds left for a Connector/C timeout option (at least 1: 0 would mean "wait
    /// forever"), capped by `configured`; the wait hook enforces the exact remainder.
    static func seconds(cappedBy configured: UInt32) -> UInt32 {
        guard let remaining = remainingMilliseconds() else { return configured }
        let left = UInt32(clamping: max(1, (remaining + 999) / 1000))
        return min(configured, left)
    }

    /// Monotonic milliseconds, for tests that measure how much of a deadline a step used.
    package static func nowMillisecondsForTests() -> Int64 { nowMilliseconds() }

    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
