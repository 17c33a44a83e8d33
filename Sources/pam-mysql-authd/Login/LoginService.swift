import AccountDatabase
import AuthDaemonCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PAMMySQLCore

/// Logs users in for both listeners, with the module's own decisions: the password lookup on a
/// database thread, the verification on a hashing thread, then the account check (statcolumn)
/// on a database thread again, as saslauthd's PAM path calls `pam_acct_mgmt` after a good
/// password. The event loop only hops; nothing here blocks it.
///
/// Bounds: at most `maximumPending` requests at once (more get a temporary failure at once),
/// a request that waited longer than the queue timeout for a thread gets a temporary failure,
/// and every answer comes within the request timeout (the database work runs under a
/// `LoginDeadline` that ends before it).
final class LoginService: @unchecked Sendable {
    let limits: LoginLimits
    let services: ServiceDirectory
    private let databasePool: NIOThreadPool
    private let hashingPool: NIOThreadPool
    private let shelf: SessionShelf
    private let logger: Logger
    private let counters: DaemonCounters
    private let pending = NIOLockedValueBox(0)

    /// What the database half found: an answer already, or what the hashing half needs.
    private enum Lookup {
        case answered(LoginVerdict)
        case verify(ServicePlan, PasswordLookup, AccountRow?)
    }

    private struct QueueTimeout: Error {}

    init(limits: LoginLimits, services: ServiceDirectory, counters: DaemonCounters, logger: Logger) {
        self.limits = limits
        self.services = services
        self.counters = counters
        self.logger = logger
        databasePool = NIOThreadPool(numberOfThreads: limits.databaseThreads)
        hashingPool = NIOThreadPool(numberOfThreads: limits.hashingThreads)
        shelf = SessionShelf(capacityPerKey: limits.databaseThreads)
        databasePool.start()
        hashingPool.start()
    }

    /// Drops the per-service sessions and plans (SIGHUP).
    func dropCaches(pamDirectory: String) {
        services.reload(pamDirectory: pamDirectory)
        shelf.removeAll()
    }

    func shutdown() async {
        try? await databasePool.shutdownGracefully()
        try? await hashingPool.shutdownGracefully()
        shelf.removeAll()
    }

    var pendingCount: Int { pending.withLockedValue { $0 } }

    func authenticate(_ attempt: LoginAttempt, on eventLoop: any EventLoop) -> EventLoopFuture<LoginVerdict> {
        let maximum = limits.maximumPending
        let admitted = pending.withLockedValue { count -> Bool in
            guard count < maximum else { return false }
            count += 1
            return true
        }
        guard admitted else {
            let verdict = LoginVerdict.temporaryFailure(.overloaded)
            log(attempt, verdict)
            return eventLoop.makeSucceededFuture(verdict)
        }
        let started = NIODeadline.now()
        let promise = eventLoop.makePromise(of: LoginVerdict.self)
        let answered = AnswerOnce()
        let finish: @Sendable (LoginVerdict) -> Void = { [self] verdict in
            guard answered.claim() else { return }
            pending.withLockedValue { $0 -= 1 }
            log(attempt, verdict)
            promise.succeed(verdict)
        }
        let timeout = eventLoop.scheduleTask(deadline: started + .seconds(Int64(limits.requestTimeoutSeconds))) {
            finish(.temporaryFailure(.requestTimeout))
        }
        run(on: databasePool, eventLoop, since: started) { [self] in lookUp(attempt, since: started) }
            .flatMap { [self] lookup -> EventLoopFuture<LoginVerdict> in
                switch lookup {
                case .answered(let verdict): return eventLoop.makeSucceededFuture(verdict)
                case .verify(let plan, let found, let row):
                    return run(on: hashingPool, eventLoop, since: started) { [self] in verify(attempt, plan, found) }
                        .flatMap { [self] verdict in
                            guard case .accepted = verdict, let accountOptions = plan.account else {
                                return eventLoop.makeSucceededFuture(verdict)
                            }
                            return run(on: databasePool, eventLoop, since: started) { [self] in
                                checkAccount(attempt, plan, accountOptions, row, since: started)
                            }
                        }
                }
            }
            .whenComplete { result in
                timeout.cancel()
                switch result {
                case .success(let verdict): finish(verdict)
                case .failure(is QueueTimeout): finish(.temporaryFailure(.queueTimeout))
                case .failure: finish(.temporaryFailure(.shuttingDown))
                }
            }
        return promise.futureResult
    }

    // MARK: the steps

    /// Runs `body` on `pool`, unless the request already waited past the queue timeout.
    private func run<T>(
        on pool: NIOThreadPool, _ eventLoop: any EventLoop, since started: NIODeadline, _ body: @escaping @Sendable () -> T
    ) -> EventLoopFuture<T> {
        let queueTimeout = TimeAmount.milliseconds(limits.queueTimeoutMilliseconds)
        return pool.runIfActive(eventLoop: eventLoop) {
            guard NIODeadline.now() - started <= queueTimeout else { throw QueueTimeout() }
            return body()
        }
    }

    /// The database half: the service's plan, then the password row.
    private func lookUp(_ attempt: LoginAttempt, since started: NIODeadline) -> Lookup {
        let plan: ServicePlan
        switch services.resolve(attempt.service) {
        case .refused(let reason): return .answered(.refused(reason))
        case .plan(let found): plan = found
        }
        let key = "\(plan.name)/auth"
        let (session, generation) = shelf.take(key, options: plan.authentication)
        session.log = databaseLog(attempt, verbose: plan.authentication.verbose)
        let request = LoginRequest(user: attempt.user, password: attempt.password)
        let found = LoginDeadline.with(seconds: deadlineSeconds(since: started, configured: plan.authentication.loginTimeout)) {
            session.lookupPassword(request)
        }
        let row = session.accountRow
        shelf.put(session, key: key, generation: generation)
        return .verify(plan, found, row)
    }

    /// The hashing half: no database, no session.
    private func verify(_ attempt: LoginAttempt, _ plan: ServicePlan, _ found: PasswordLookup) -> LoginVerdict {
        let request = LoginRequest(user: attempt.user, password: attempt.password)
        let decision = DatabaseSession.verifyPassword(
            request, lookup: found, options: plan.authentication, log: databaseLog(attempt, verbose: plan.authentication.verbose))
        return LoginVerdictMapping.verdict(decision, user: attempt.user)
    }

    /// The account check, answered from the authentication's row when that row serves it.
    private func checkAccount(
        _ attempt: LoginAttempt, _ plan: ServicePlan, _ options: ModuleOptions, _ row: AccountRow?, since started: NIODeadline
    ) -> LoginVerdict {
        let key = "\(plan.name)/account"
        let (session, generation) = shelf.take(key, options: options)
        session.log = databaseLog(attempt, verbose: options.verbose)
        session.accountRow = row
        let decision = LoginDeadline.with(seconds: deadlineSeconds(since: started, configured: options.loginTimeout)) {
            session.decideAccount(user: attempt.user)
        }
        shelf.put(session, key: key, generation: generation)
        return LoginVerdictMapping.verdict(decision, user: attempt.user)
    }

    /// Whole seconds of database time left: the request timeout less what has passed and a
    /// margin for the reply, capped by `login_timeout`, at least 1.
    private func deadlineSeconds(since started: NIODeadline, configured: UInt32) -> UInt32 {
        let elapsed = (NIODeadline.now() - started).nanoseconds / 1_000_000
        let left = Int64(limits.requestTimeoutSeconds) * 1000 - elapsed - 750
        return min(configured, UInt32(clamping: max(1, left / 1000)))
    }

    private func databaseLog(_ attempt: LoginAttempt, verbose: Bool) -> DatabaseLog {
        let logger = logger
        let service = LogText.escaped(attempt.service, limit: 64)
        return DatabaseLog(verbose: verbose) { priority, message in
            logger.log(level: priority.loggerLevel, "service \(service): \(message)")
        }
    }

    private func log(_ attempt: LoginAttempt, _ verdict: LoginVerdict) {
        let line = AuthEventLine(
            user: attempt.user, service: attempt.service, protocolName: attempt.protocolName, remoteAddress: attempt.remoteAddress
        ).text(verdict)
        switch verdict {
        case .accepted:
            logger.info("\(line)")
            counters.requestAnswered(protocolName: attempt.protocolName, result: "ok")
        case .refused:
            logger.notice("\(line)")
            counters.requestAnswered(protocolName: attempt.protocolName, result: attempt.protocolName == "dovecot" ? "fail" : "no")
        case .temporaryFailure:
            logger.warning("\(line)")
            counters.requestAnswered(protocolName: attempt.protocolName, result: "tempfail")
        }
    }
}

/// Whichever comes first, the answer or the timeout, answers; the other is dropped.
private final class AnswerOnce: @unchecked Sendable {
    private let lock = NIOLock()
    private var done = false

    func claim() -> Bool {
        lock.withLock {
            guard !done else { return false }
            done = true
            return true
        }
    }
}
