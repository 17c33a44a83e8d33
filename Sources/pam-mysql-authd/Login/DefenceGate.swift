import AuthDaemonCore
import Logging
import NIOCore
import PAMMySQLCore

/// The brute-force defences' side with I/O: `LoginDefence`'s decisions on the daemon's clock,
/// the penalty's wait as a timer on the request's event loop (no thread waits), the lock's log
/// line and the counters.
///
/// The wait is counted from the request's arrival and applies to the answer, whatever it is
/// (a success from a penalised address waits too: an attacker who hangs up early learns
/// nothing). The login itself runs at once, so a slow database and the wait overlap: the answer
/// comes after the longer of the two, within the request timeout or `penalty_max_delay`
/// (at most 7.5 s), both under Postfix's 10 s. Dovecot waits before the login instead, and its
/// 15 s cap makes Postfix give up.
final class DefenceGate: Sendable {
    let defence: LoginDefence
    private let counters: DaemonCounters
    private let logger: Logger

    init(counters: DaemonCounters, logger: Logger) {
        defence = LoginDefence()
        self.counters = counters
        self.logger = logger
    }

    enum Admission {
        case admitted(LoginDefence.Ticket)
        /// The answer to send at once.
        case refused(LoginVerdict)
    }

    /// Before the login: a ticket, or the temporary failure to answer at once.
    func admit(_ attempt: LoginAttempt, settings: DefenceSettings) -> Admission {
        switch defence.admit(
            user: attempt.user, password: attempt.password, remoteAddress: attempt.remoteAddress, settings: settings, now: Self.now())
        {
        case .admitted(let ticket):
            return .admitted(ticket)
        case .tooManyFromAddress:
            counters.addressLimitReached()
            return .refused(.temporaryFailure(.tooManyFromAddress))
        }
    }

    /// After the verdict: records it, and answers once the ticket's wait is over.
    func answer(
        _ ticket: LoginDefence.Ticket, _ verdict: LoginVerdict, for attempt: LoginAttempt, arrived: NIODeadline, on eventLoop: any EventLoop
    ) -> EventLoopFuture<LoginVerdict> {
        let settled = defence.settle(ticket, verdict: verdict, now: Self.now())
        if let failures = settled.lockStartedAfterFailures {
            counters.userLockStarted()
            let seconds = ticket.policy.durationMilliseconds / 1000
            logger.notice(
                "user \"\(AuthEventLine.quotedUser(attempt.user))\" locked after \(failures) failures, for \(seconds) s or until `ctl unlock`"
            )
        }
        let answer = settled.verdict
        guard ticket.delayMilliseconds > 0 else {
            defence.release(ticket)
            return eventLoop.makeSucceededFuture(answer)
        }
        counters.penaltyApplied(milliseconds: ticket.delayMilliseconds)
        let due = arrived + .milliseconds(ticket.delayMilliseconds)
        guard due > NIODeadline.now() else {
            defence.release(ticket)
            return eventLoop.makeSucceededFuture(answer)
        }
        let promise = eventLoop.makePromise(of: LoginVerdict.self)
        let defence = defence
        let wait = eventLoop.scheduleTask(deadline: due) {
            defence.release(ticket)
            promise.succeed(answer)
        }
        // Cancelled when the event loop shuts down: the answer goes out now rather than never.
        wait.futureResult.whenFailure { _ in
            defence.release(ticket)
            promise.succeed(answer)
        }
        return promise.futureResult
    }

    /// `ctl unlock USER`.
    func unlock(user: String, settings: DefenceSettings) -> ControlReply {
        guard settings.userLockFailures > 0 else { return .failed("the user lock is off (user_lock_failures = 0)") }
        let name = LogText.escaped(user, limit: 256)
        return defence.unlock(user: Array(user.utf8), now: Self.now()) ? .done("\(name) unlocked") : .done("\(name) was not locked")
    }

    /// Milliseconds of the monotonic clock NIO's deadlines use.
    static func now() -> Int64 {
        Int64(clamping: NIODeadline.now().uptimeNanoseconds / 1_000_000)
    }
}
