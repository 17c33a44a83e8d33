import AccountDatabase
import AuthDaemonCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PAMMySQLCore

/// Logs users in for both listeners, with the module's own decisions, walking the service's
/// auth stack as libpam would (`PAMStackEvaluator`): for each pam_mysql step the password
/// lookup on a database thread, the verification on a hashing thread; after a good password
/// the account stack (statcolumn) on a database thread, as saslauthd's PAM path calls
/// `pam_acct_mgmt`. The event loop only hops; nothing here blocks it.
///
/// Bounds: at most `maximumPending` requests at once (more get a temporary failure at once),
/// a request that waited longer than the queue timeout for a thread gets a temporary failure,
/// and every answer comes within the request timeout (the database work runs under a
/// `LoginDeadline` that ends before it).
final class LoginService: @unchecked Sendable {
    let limits: LoginLimits
    let configuration: ConfigurationHolder
    private let databasePool: NIOThreadPool
    private let hashingPool: NIOThreadPool
    private let shelf: SessionShelf
    private let logger: Logger
    private let counters: DaemonCounters
    /// The result cache (off unless `result_cache` or `--cache-ttl`): spares the password SELECT.
    let resultCache: LoginResultCache
    private let pending = NIOLockedValueBox(0)
    /// The verification cache (`verification_cache = yes`) and its TTL in milliseconds; nil
    /// while it is off. A reload keeps it: every entry's fingerprint covers the step's options
    /// that verification reads, so an entry made under other options misses, and the stored
    /// value is read again at every login anyway. It is dropped (entries wiped) only when the
    /// reload turns it off or changes `cache_size`.
    private let verificationCache = NIOLockedValueBox<(cache: VerificationCache, ttlMilliseconds: Int64)?>(nil)
    /// The penalty per address and the user lock (issue 15), around every login.
    let defence: DefenceGate

    /// What the database half of one step found: an answer already, or what the hashing half needs.
    private enum Lookup {
        case answered(LoginVerdict)
        /// With the verification cache's probe of this login when it missed (told after a match).
        case verify(PasswordLookup, VerificationCache.Probe?)
    }

    /// One stack walk: libpam's state, and the status row the last lookup read (the account
    /// check of the same login finds it there, as the module does on one PAM handle).
    private final class Walk: @unchecked Sendable {
        var evaluator: PAMStackEvaluator<LoginVerdict>
        var accountRow: AccountRow?
        init(_ steps: [PAMStep]) { evaluator = PAMStackEvaluator(steps: steps) }
    }

    private struct QueueTimeout: Error {}

    init(limits: LoginLimits, configuration: ConfigurationHolder, counters: DaemonCounters, logger: Logger) {
        self.limits = limits
        self.configuration = configuration
        self.counters = counters
        self.logger = logger
        defence = DefenceGate(counters: counters, logger: logger)
        databasePool = NIOThreadPool(numberOfThreads: limits.databaseThreads)
        hashingPool = NIOThreadPool(numberOfThreads: limits.hashingThreads)
        shelf = SessionShelf(capacityPerKey: limits.databaseThreads)
        resultCache = LoginResultCache(settings: configuration.current.settings.cache, counters: counters, logger: logger)
        databasePool.start()
        hashingPool.start()
        updateVerificationCache(configuration.current.settings.cache)
    }

    /// SIGHUP: the configuration read again (kept when the new one has an error), and the
    /// per-service sessions dropped either way (their connections return to the shared pool).
    func reload() {
        _ = configuration.reload()
        shelf.removeAll()
        counters.resultCacheFlushed(count: resultCache.reset(settings: configuration.current.settings.cache))
        updateVerificationCache(configuration.current.settings.cache)
    }

    /// The verification cache as `settings` ask: made, kept (with the new TTL), or dropped.
    private func updateVerificationCache(_ settings: CacheSettings) {
        let ttl = settings.ttl.components
        let ttlMilliseconds = ttl.seconds * 1000 + ttl.attoseconds / 1_000_000_000_000_000
        var failed = false
        let dropped = verificationCache.withLockedValue { current -> VerificationCache? in
            let old = current?.cache
            guard settings.verification else {
                current = nil
                return old
            }
            if let old, old.capacity == max(settings.size, 1) {
                current = (old, ttlMilliseconds)
                return nil
            }
            if let made = VerificationCache(capacity: settings.size) {
                current = (made, ttlMilliseconds)
            } else {
                current = nil
                failed = true
            }
            return old
        }
        dropped?.removeAll()
        if failed { logger.error("verification cache off: no random key from the kernel") }
    }

    /// Drops cached verifications: one user's (in `service`, or in every service when nil), or
    /// all when `user` is nil. For the control socket's `flush`; returns how many were dropped.
    @discardableResult
    func flushVerificationCache(service: String?, user: [UInt8]?) -> Int {
        guard let cache = verificationCache.withLockedValue({ $0?.cache }) else { return 0 }
        guard let user else { return cache.removeAll() }
        return cache.flush(service: service, user: user)
    }

    /// How many verifications the cache holds (nil while it is off).
    var verificationCacheCount: Int? {
        verificationCache.withLockedValue { $0?.cache }?.count
    }

    func shutdown() async {
        try? await databasePool.shutdownGracefully()
        try? await hashingPool.shutdownGracefully()
        shelf.removeAll()
        // Entries zeroed now; the key goes with the last reference (libcrypto cleanses its
        // contexts when they are freed).
        verificationCache.withLockedValue { current -> VerificationCache? in
            defer { current = nil }
            return current?.cache
        }?.removeAll()
    }

    var pendingCount: Int { pending.withLockedValue { $0 } }

    /// The login between the defences: admitted (or refused at once by the per-address cap),
    /// then its verdict recorded and answered after the address's penalty; one log line for the
    /// answer sent.
    func authenticate(_ attempt: LoginAttempt, on eventLoop: any EventLoop) -> EventLoopFuture<LoginVerdict> {
        let arrived = NIODeadline.now()
        let ticket: LoginDefence.Ticket
        switch defence.admit(attempt, settings: configuration.current.settings.defence) {
        case .admitted(let admitted): ticket = admitted
        case .refused(let refusal):
            log(attempt, refusal, since: arrived)
            return eventLoop.makeSucceededFuture(refusal)
        }
        return login(attempt, on: eventLoop)
            .flatMap { [self] verdict in defence.answer(ticket, verdict, for: attempt, arrived: arrived, on: eventLoop) }
            .map { [self] verdict in
                log(attempt, verdict, since: arrived)
                return verdict
            }
    }

    private func login(_ attempt: LoginAttempt, on eventLoop: any EventLoop) -> EventLoopFuture<LoginVerdict> {
        let maximum = limits.maximumPending
        let admitted = pending.withLockedValue { count -> Bool in
            guard count < maximum else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return eventLoop.makeSucceededFuture(.temporaryFailure(.overloaded))
        }
        let started = NIODeadline.now()
        let promise = eventLoop.makePromise(of: LoginVerdict.self)
        let answered = AnswerOnce()
        let finish: @Sendable (LoginVerdict) -> Void = { [self] verdict in
            guard answered.claim() else { return }
            pending.withLockedValue { $0 -= 1 }
            promise.succeed(verdict)
        }
        let timeout = eventLoop.scheduleTask(deadline: started + .milliseconds(limits.requestTimeoutMilliseconds)) {
            finish(.temporaryFailure(.requestTimeout))
        }
        // A service resolved before needs no database thread (reading a pam.d file does).
        let known = configuration.knownPlan(forService: attempt.service)
        let plan =
            known.map { eventLoop.makeSucceededFuture(Result<PAMServicePlan, ServiceRefusal>.success($0)) }
            ?? run(on: databasePool, eventLoop, since: started) { [self] in configuration.plan(forService: attempt.service) }
        plan
            .flatMap { [self] resolved -> EventLoopFuture<LoginVerdict> in
                switch resolved {
                case .failure(let refusal): return eventLoop.makeSucceededFuture(.refused(Self.reason(refusal)))
                case .success(let plan):
                    counters.serviceResolved(attempt.service)
                    return walkStacks(attempt, plan, eventLoop, since: started)
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

    /// Runs `body` on `pool`, unless it waited in the pool's queue past the queue timeout (the
    /// request timeout bounds the whole request; this bounds each wait for a thread).
    private func run<T>(
        on pool: NIOThreadPool, _ eventLoop: any EventLoop, since started: NIODeadline, _ body: @escaping @Sendable () -> T
    ) -> EventLoopFuture<T> {
        let queueTimeout = TimeAmount.milliseconds(limits.queueTimeoutMilliseconds)
        let enqueued = NIODeadline.now()
        return pool.runIfActive(eventLoop: eventLoop) {
            guard NIODeadline.now() - enqueued <= queueTimeout else { throw QueueTimeout() }
            return body()
        }
    }

    /// The auth stack, then (after a success) the account stack that follows where it stopped.
    private func walkStacks(
        _ attempt: LoginAttempt, _ plan: PAMServicePlan, _ eventLoop: any EventLoop, since started: NIODeadline
    ) -> EventLoopFuture<LoginVerdict> {
        let walk = Walk(plan.authentication)
        let key = "\(plan.service.text)/auth"
        return self.walk(walk, eventLoop) { [self] index, options in
            let cacheKey = ResultCacheKey(service: plan.service.text, step: index, user: attempt.user)
            return authenticationStep(
                attempt, options.value, key: "\(key)/\(index)", cacheKey: cacheKey, walk: walk, eventLoop, since: started)
        }
        .flatMap { [self] result -> EventLoopFuture<LoginVerdict> in
            guard case .success = result else { return eventLoop.makeSucceededFuture(Self.verdict(result, user: attempt.user)) }
            let lastRun = walk.evaluator.lastIndexRun
            let steps = plan.accountSteps(afterAuthenticationEndedAt: lastRun)
            let checked: EventLoopFuture<LoginVerdict>
            if steps.isEmpty {
                checked = eventLoop.makeSucceededFuture(.accepted(canonicalUser: attempt.user))
            } else {
                let account = Walk(steps)
                account.accountRow = walk.accountRow
                let key = "\(plan.service.text)/account"
                checked = self.walk(account, eventLoop) { [self] index, options in
                    run(on: databasePool, eventLoop, since: started) { [self] in
                        accountStep(attempt, options.value, key: "\(key)/\(index)", row: account.accountRow, since: started)
                    }
                }
                .map { Self.verdict($0, user: attempt.user) }
            }
            guard configuration.current.settings.okUser == .database, plan.authentication.indices.contains(lastRun),
                case .mysql(let lastOptions) = plan.authentication[lastRun].module
            else { return checked }
            let options = StepOptions(lastOptions)
            let key = "\(plan.service.text)/auth/\(lastRun)"
            return checked.flatMap { [self] verdict in
                guard case .accepted = verdict else { return eventLoop.makeSucceededFuture(verdict) }
                return run(on: databasePool, eventLoop, since: started) { [self] in
                    .accepted(canonicalUser: databaseSpelling(attempt, options.value, key: key, since: started))
                }
            }
        }
    }

    /// `ok_user = database`: the user column's value for this login (the collation may have
    /// matched another spelling), or the client's when the statement is the administrator's
    /// `query` or gives no single non-NULL value.
    private func databaseSpelling(_ attempt: LoginAttempt, _ options: ModuleOptions, key: String, since started: NIODeadline) -> [UInt8] {
        guard options.query == nil, options.userColumn != nil, options.table != nil else { return attempt.user }
        let (session, generation) = shelf.take(key, options: options)
        session.log = databaseLog(attempt, verbose: options.verbose)
        defer { shelf.put(session, key: key, generation: generation) }
        let found = LoginDeadline.with(seconds: deadlineSeconds(since: started, configured: options.loginTimeout)) {
            session.lookupRow(SQLStatements.userNameQuery(options), parameters: [SecretBytes(attempt.user)])
        }
        countFailovers(session)
        guard case .success(let row) = found, let value = row.first ?? nil, !value.isEmpty else { return attempt.user }
        return value.withUnsafeBytes { Array($0) }
    }

    /// Runs the stack's pam_mysql steps one after the other with `step`, as libpam walks it.
    private func walk(
        _ walk: Walk, _ eventLoop: any EventLoop, step: @escaping @Sendable (Int, StepOptions) -> EventLoopFuture<LoginVerdict>
    ) -> EventLoopFuture<PAMStackResult<LoginVerdict>> {
        switch walk.evaluator.next() {
        case .finished(let result):
            return eventLoop.makeSucceededFuture(result)
        case .run(let index, let pamStep):
            guard case .mysql(let options) = pamStep.module else {
                // next() applies pam_permit and pam_deny itself.
                walk.evaluator.record(.ignore)
                return self.walk(walk, eventLoop, step: step)
            }
            return step(index, StepOptions(options)).flatMap { [self] verdict in
                if case .accepted = verdict { walk.evaluator.record(.success) } else { walk.evaluator.record(.failure(verdict)) }
                return self.walk(walk, eventLoop, step: step)
            }
        }
    }

    /// One pam_mysql auth step: the row on a database thread, the password on a hashing thread.
    private func authenticationStep(
        _ attempt: LoginAttempt, _ moduleOptions: ModuleOptions, key: String, cacheKey: ResultCacheKey, walk: Walk,
        _ eventLoop: any EventLoop, since started: NIODeadline, bypassingCache: Bool = false
    ) -> EventLoopFuture<LoginVerdict> {
        let options = StepOptions(moduleOptions)
        return run(on: databasePool, eventLoop, since: started) { [self] () -> (Lookup, AccountRow?, ResultCacheUse) in
            let (found, row, use) = lookUp(
                attempt, options.value, key: key, cacheKey: cacheKey, bypassingCache: bypassingCache, since: started)
            // A digest costs less than the hop to a hashing thread and back: checked here.
            if case .verify(let lookup, let probe) = found, options.value.crypt.verifiesQuickly {
                return (.answered(verify(attempt, options.value, lookup, remembering: probe)), row, use)
            }
            return (found, row, use)
        }
        .flatMap { [self] found, row, use -> EventLoopFuture<LoginVerdict> in
            if let row { walk.accountRow = row }
            let verdict: EventLoopFuture<LoginVerdict>
            switch found {
            case .answered(let answer): verdict = eventLoop.makeSucceededFuture(answer)
            case .verify(.decided(let decision), _):
                // Nothing to hash (or a verification cache hit): no hop to the hashing pool.
                verdict = eventLoop.makeSucceededFuture(LoginVerdictMapping.verdict(decision, user: attempt.user))
            case .verify(let lookup, let probe):
                let remembering = ProbeHandle(probe)
                verdict = run(on: hashingPool, eventLoop, since: started) { [self] in
                    verify(attempt, options.value, lookup, remembering: remembering.value)
                }
            }
            // A refusal against a cached row whose last login succeeded: ask the database again.
            return verdict.flatMap { [self] answer in
                guard resultCache.needsFreshLookup(cacheKey, use, verdict: answer) else { return eventLoop.makeSucceededFuture(answer) }
                return authenticationStep(
                    attempt, moduleOptions, key: key, cacheKey: cacheKey, walk: walk, eventLoop, since: started, bypassingCache: true)
            }
        }
    }

    /// The database half of a step: the password row (and the status row read with it).
    private func lookUp(
        _ attempt: LoginAttempt, _ options: ModuleOptions, key: String, cacheKey: ResultCacheKey, bypassingCache: Bool,
        since started: NIODeadline
    ) -> (Lookup, AccountRow?, ResultCacheUse) {
        let (session, generation) = shelf.take(key, options: options)
        session.log = databaseLog(attempt, verbose: options.verbose)
        let request = LoginRequest(user: attempt.user, password: attempt.password)
        let (found, use) = LoginDeadline.with(seconds: deadlineSeconds(since: started, configured: options.loginTimeout)) {
            let (answer, use) = resultCache.answer(cacheKey, session: session, bypass: bypassingCache)
            return (session.lookupPassword(request, answer: answer), use)
        }
        let row = session.accountRow
        countFailovers(session)
        shelf.put(session, key: key, generation: generation)
        guard let cached = verificationCache.withLockedValue({ $0 }) else { return (.verify(found, nil), row, use) }
        // Two HMACs, here on the database thread: a hit never waits for a hashing thread.
        let verification = VerificationCacheUse(cache: cached.cache, service: attempt.service, ttlMilliseconds: cached.ttlMilliseconds)
        let log = databaseLog(attempt, verbose: options.verbose)
        switch DatabaseSession.consultVerificationCache(verification, request: request, lookup: found, options: options, log: log) {
        case .hit?:
            counters.verificationCacheHit()
            return (.verify(.decided(.accepted(.passwordVerified)), nil), row, use)
        case .miss(let probe)?:
            counters.verificationCacheMiss()
            return (.verify(found, probe), row, use)
        case nil:
            return (.verify(found, nil), row, use)
        }
    }

    /// The hashing half: no database, no session.
    private func verify(
        _ attempt: LoginAttempt, _ options: ModuleOptions, _ found: PasswordLookup, remembering probe: VerificationCache.Probe?
    ) -> LoginVerdict {
        let request = LoginRequest(user: attempt.user, password: attempt.password)
        let decision = DatabaseSession.verifyPassword(
            request, lookup: found, options: options, log: databaseLog(attempt, verbose: options.verbose), remembering: probe)
        return LoginVerdictMapping.verdict(decision, user: attempt.user)
    }

    /// One pam_mysql account step, answered from the authentication's row when that row serves it.
    private func accountStep(
        _ attempt: LoginAttempt, _ options: ModuleOptions, key: String, row: AccountRow?, since started: NIODeadline
    ) -> LoginVerdict {
        let (session, generation) = shelf.take(key, options: options)
        session.log = databaseLog(attempt, verbose: options.verbose)
        session.accountRow = row
        let decision = LoginDeadline.with(seconds: deadlineSeconds(since: started, configured: options.loginTimeout)) {
            session.decideAccount(user: attempt.user)
        }
        countFailovers(session)
        shelf.put(session, key: key, generation: generation)
        return LoginVerdictMapping.verdict(decision, user: attempt.user)
    }

    /// A stack's result as the login's verdict: the first failure that counted, as libpam keeps it.
    private static func verdict(_ result: PAMStackResult<LoginVerdict>, user: [UInt8]) -> LoginVerdict {
        switch result {
        case .success: .accepted(canonicalUser: user)
        case .failure(.module(_, let verdict)): verdict
        case .failure(.denied), .failure(.noSuccess): .refused(.deniedByService)
        }
    }

    /// A service the daemon does not answer for.
    private static func reason(_ refusal: ServiceRefusal) -> LoginFailureReason {
        switch refusal.reason {
        case .invalidName: .invalidServiceName
        case .missingFile: .unknownService
        default: .serviceNotUsable
        }
    }

    /// Whole seconds of database time left: the request timeout less what has passed and a
    /// margin for the reply, capped by `login_timeout`, at least 1.
    private func deadlineSeconds(since started: NIODeadline, configured: UInt32) -> UInt32 {
        let elapsed = (NIODeadline.now() - started).nanoseconds / 1_000_000
        let left = limits.requestTimeoutMilliseconds - elapsed - 750
        return min(configured, UInt32(clamping: max(1, left / 1000)))
    }

    /// The servers the session gave up on during the step, for the operator's counters.
    private func countFailovers(_ session: DatabaseSession) {
        for _ in 0..<session.takeServersMarkedFailed() { counters.databaseServerFailed() }
    }

    private func databaseLog(_ attempt: LoginAttempt, verbose: Bool) -> DatabaseLog {
        let logger = logger
        let service = LogText.escaped(attempt.service, limit: 64)
        return DatabaseLog(verbose: verbose) { priority, message in
            logger.log(level: priority.loggerLevel, "service \(service): \(message)")
        }
    }

    private func log(_ attempt: LoginAttempt, _ verdict: LoginVerdict, since started: NIODeadline) {
        let line = AuthEventLine(
            user: attempt.user, service: attempt.service, protocolName: attempt.protocolName, remoteAddress: attempt.remoteAddress
        ).text(verdict)
        let result: String
        var temporaryReason: String?
        switch verdict {
        case .accepted:
            logger.info("\(line)")
            result = "ok"
        case .refused:
            logger.notice("\(line)")
            result = attempt.protocolName == "dovecot" ? "fail" : "no"
        case .temporaryFailure(let reason):
            logger.warning("\(line)")
            result = "tempfail"
            temporaryReason = reason.text
        }
        counters.loginAnswered(
            protocolName: attempt.protocolName, service: attempt.service, result: result, temporaryReason: temporaryReason,
            nanoseconds: (NIODeadline.now() - started).nanoseconds)
    }
}

/// A step's options, handed to a thread: built once per (re)load and only read afterwards
/// (`PAMStep`'s rule).
struct StepOptions: @unchecked Sendable {
    let value: ModuleOptions
    init(_ value: ModuleOptions) { self.value = value }
}

/// A verification cache probe, handed from the database thread to a hashing thread (the
/// cache is thread-safe; the probe is only read).
private struct ProbeHandle: @unchecked Sendable {
    let value: VerificationCache.Probe?
    init(_ value: VerificationCache.Probe?) { self.value = value }
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
