import PAMMySQLCore

/// One user of the database (a PAM handle, a check, a daemon request): the options in force,
/// the connection it has checked out, and its log. Statements go through `execute`, which
/// opens, reuses or replaces the connection; `end()` (or deinit) gives it back to the pool.
///
/// Connection values are computed at most once per options update (on first use after it), not
/// per statement: the identity and the account statements.
package final class DatabaseSession {
    package var options: ModuleOptions {
        didSet { optionsChanged() }
    }
    /// What the options determine, each part built on first use after an options update: the
    /// module used to rebuild the status SQL (about 9,000 instructions) on every statement, and
    /// an authentication needs only some of it.
    private struct Derived {
        var identity: ConnectionIdentity?
        var passwordStatement: String?
        var statusStatement: String?
        var statusIsRowLevel: Bool?
    }
    private var derived = Derived()

    /// `slot`'s value, built now if it is not yet. (No key paths: the runtime instantiates them
    /// by demangling at first use, which every `su` would pay.)
    private static func cached<T>(_ slot: inout T?, _ build: () -> T) -> T {
        if let value = slot { return value }
        let value = build()
        slot = value
        return value
    }

    /// Where and as whom the current options connect.
    package var identity: ConnectionIdentity { Self.cached(&derived.identity) { ConnectionIdentity(options) } }
    /// pam_mysql's password SELECT (`SELECT passwdcolumn FROM table WHERE usercolumn = ?`).
    package var passwordStatement: String { Self.cached(&derived.passwordStatement) { SQLStatements.passwordQuery(options) } }
    /// pam_mysql's account SELECT (`SELECT statcolumn, passwdcolumn …`).
    package var statusStatement: String { Self.cached(&derived.statusStatement) { SQLStatements.statusQuery(options) } }
    /// Whether `statcolumn` is a plain column or expression of the row (not an aggregate), so
    /// the authentication can read the status in the same SELECT without changing the row count.
    package var statusIsRowLevel: Bool { Self.cached(&derived.statusIsRowLevel) { SQLStatements.statusColumnIsRowLevel(options) } }

    package var log: DatabaseLog
    /// False in a set-uid host: its connection is closed at the end instead of pooled.
    package var poolsConnections: Bool

    /// The status the authentication SELECT already read, for the account check that follows in
    /// the same transaction (one SELECT per login instead of two).
    package var accountRow: AccountRow?

    /// How many times this session marked a server of its `host` list as failed (it did not
    /// connect, did not answer, or could not serve a statement) since the last
    /// `takeServersMarkedFailed()`: the daemon counts failovers for its operator.
    private var serversMarkedFailed = 0

    private var connection: (any DatabaseConnection)?
    private let pool: ConnectionPool
    private let failover: FailoverTable
    private let open: ConnectionOpener

    package init(
        options: ModuleOptions = ModuleOptions(), log: DatabaseLog, poolsConnections: Bool = true,
        pool: ConnectionPool = .shared, failover: FailoverTable = .shared,
        open: @escaping ConnectionOpener = MariaDBConnection.open
    ) {
        self.options = options
        self.log = log
        self.poolsConnections = poolsConnections
        self.pool = pool
        self.failover = failover
        self.open = open
    }

    deinit { end() }

    private func optionsChanged() {
        derived = Derived()
        log.verbose = options.verbose
    }

    /// Gives the connection back to the pool (or closes it when pooling is off).
    package func end() {
        guard let current = connection else { return }
        connection = nil
        if poolsConnections { pool.checkIn(current) }
    }

    /// The servers marked as failed since the last call, and the count reset.
    package func takeServersMarkedFailed() -> Int {
        defer { serversMarkedFailed = 0 }
        return serversMarkedFailed
    }

    /// Closes this session's connection (`disconnect_every_op`, or after a connection failure).
    package func drop() {
        connection = nil
    }

    /// A connection for the current options: this session's own, else one from the pool, else a
    /// new one (only a new one with `fresh`, after a reused one turned out stale). `reused` tells
    /// whether it may have gone stale since it was last used. With a `host` list, an open
    /// connection is given up when an earlier server is due to be tried again, when its own
    /// server is marked as failed while another is not (a Galera node that left the primary
    /// component keeps its connections), or when its server is in `avoiding` (it refused this
    /// statement); `avoiding` servers are not connected to either.
    private func acquire(
        fresh: Bool = false, avoiding: [Int] = []
    ) -> Result<(connection: any DatabaseConnection, reused: Bool), DatabaseError> {
        if let current = connection {
            if current.isUsableInThisProcess, current.serves(identity), !shouldLeave(current, avoiding: avoiding) {
                return .success((current, true))
            }
            connection = nil
            if current.isUsableInThisProcess, current.serves(identity) {
                log.trace("leaving server \(current.serverIndex + 1) for another that is due to be tried")
            } else if current.isUsableInThisProcess {
                if poolsConnections { pool.checkIn(current) }
            } else {
                current.abandon()
            }
        }
        if !fresh, poolsConnections, let pooled = pool.checkOut(identity) {
            if !shouldLeave(pooled, avoiding: avoiding) {
                log.trace("reusing an open connection to \(pooled.identity.servers[pooled.serverIndex].description)")
                connection = pooled
                return .success((pooled, true))
            }
            log.trace("closing an open connection to server \(pooled.serverIndex + 1): another is due to be tried")
        }
        return openFirstAnswering(avoiding: avoiding).map { opened in
            connection = opened
            return (opened, false)
        }
    }

    /// Whether `connection`, to one server of a `host` list, should be closed for another: its
    /// server refused this statement (`avoiding`), an earlier server is not (or no longer) marked
    /// as failed, or its own server is marked while some other is not.
    private func shouldLeave(_ connection: any DatabaseConnection, avoiding: [Int]) -> Bool {
        let index = connection.serverIndex
        if avoiding.contains(index) { return true }
        let servers = connection.identity.servers
        guard servers.count > 1 else { return false }
        let skipped = failover.skipped(servers)
        return skipped[..<index].contains(false) || (skipped[index] && skipped.contains(false))
    }

    /// Tries the servers in order, each with the connect timeout; those that failed within
    /// `failover_retry` seconds go last (all are tried when all failed), those in `avoiding`
    /// (they refused the statement being sent) not at all. One server: exactly the
    /// single-server behaviour (its error is returned as it is, nothing remembered).
    private func openFirstAnswering(avoiding: [Int] = []) -> Result<any DatabaseConnection, DatabaseError> {
        let servers = identity.servers
        if servers.count == 1 {
            log.trace("connecting to \(servers[0].description) as \(LogText.escaped(identity.user))")
            return open(options, identity, 0)
        }
        var failed: [Int] = []
        var lastError: DatabaseError?
        let order = failover.order(servers).filter { !avoiding.contains($0) }
        for (position, index) in order.enumerated() {
            let server = servers[index]
            if let remaining = LoginDeadline.remainingMilliseconds(), remaining <= 0 {
                // Not tried, so not marked as failed either.
                log(
                    .err,
                    "login_timeout (\(options.loginTimeout) s) reached before server \(index + 1) of \(servers.count) (\(server.description)) could be tried"
                )
                break
            }
            log.trace("connecting to server \(index + 1) of \(servers.count) (\(server.description)) as \(LogText.escaped(identity.user))")
            // A server with others after it gets half of what is left, so that one that accepts
            // the TCP connection and never greets (frozen) leaves time for the next.
            let (opened, _) = LoginDeadline.sharing(parts: position < order.count - 1 ? 2 : 1) { open(options, identity, index) }
            switch opened {
            case .success(let opened):
                failover.noteSuccess(of: server)
                if !avoiding.isEmpty {
                    let refused = avoiding.map { servers[$0].description }.joined(separator: ", ")
                    log(
                        .warning,
                        "using server \(index + 1) of \(servers.count) (\(server.description)): \(refused) could not serve the statement (skipped for \(options.failoverRetry) s)"
                    )
                } else if index > 0 {
                    let before = servers[..<index].map { $0.description }.joined(separator: ", ")
                    log(
                        .warning,
                        "using server \(index + 1) of \(servers.count) (\(server.description)): \(before) failed to connect (skipped for \(options.failoverRetry) s after a failure)"
                    )
                }
                return .success(opened)
            case .failure(let error) where error.kind == .statement:
                return .failure(error)  // a configuration error: the same for every server
            case .failure(let error):
                log(
                    .err,
                    "MySQL error (\(LogText.escaped(error.message, limit: 256))) connecting to server \(index + 1) of \(servers.count) (\(server.description))"
                )
                // A connect the deadline cut short says nothing about the server.
                if let remaining = LoginDeadline.remainingMilliseconds(), remaining <= 0 {
                    failed.append(index)
                    lastError = error
                    continue
                }
                failover.noteFailure(of: server, skipFor: options.failoverRetry)
                serversMarkedFailed += 1
                failed.append(index)
                lastError = error
            }
        }
        return .failure(
            DatabaseError(
                kind: .unavailable, code: lastError?.code ?? 2003,
                message: "no server of the host list could be connected (\(failed.count) tried: \(identity.serversDescription))"))
    }

    /// Runs a statement, opening the connection if needed, and applies the error's remedy
    /// (`DatabaseError.Remedy`) before answering: a reused connection that turns out to be gone
    /// (server restart, `wait_timeout`) is replaced and the statement sent once more (a fresh one
    /// is never retried, so an unreachable server is reported after one connect timeout); a
    /// server of a `host` list that cannot serve (a Galera node outside the primary component) is
    /// marked as failed and the statement goes to the next one; a statement rolled back by a
    /// deadlock or a Galera conflict is sent once more.
    package func execute(_ sql: String, parameters: [SecretBytes]) -> Result<StatementResult, DatabaseError> {
        var reconnected = false
        var sentAgain = false
        // The servers that could not serve this statement, in the order they answered so.
        var refusing: [Int] = []
        while true {
            let acquired: (connection: any DatabaseConnection, reused: Bool)
            switch acquire(fresh: reconnected || !refusing.isEmpty, avoiding: refusing) {
            case .failure(let error): return .failure(error)
            case .success(let value): acquired = value
            }
            // With a `host` list, a reused connection gets half of what is left: a server that
            // stopped answering (frozen) then costs one share, and the statement is sent once
            // more, on a fresh connection to the next server, within the login's deadline.
            let servers = identity.servers
            let shares: Int64 = acquired.reused && !reconnected && refusing.isEmpty && servers.count > 1 ? 2 : 1
            let (result, silent) = LoginDeadline.sharing(parts: shares) {
                acquired.connection.execute(sql, parameters: parameters, maximumValueLength: maximumStoredValueLength)
            }
            guard case .failure(let error) = result else { return result }
            if error.breaksConnection { drop() }
            if silent, error.breaksConnection {
                let index = acquired.connection.serverIndex
                failover.noteFailure(of: servers[index], skipFor: options.failoverRetry)
                serversMarkedFailed += 1
                refusing.append(index)
                log(
                    .err,
                    "server \(index + 1) of \(servers.count) (\(servers[index].description)) did not answer (\(LogText.escaped(error.message, limit: 256))): trying the others (skipped for \(options.failoverRetry) s)"
                )
                if refusing.count == servers.count { return result }
                continue
            }
            switch error.remedy {
            case .reconnect where acquired.reused && !reconnected:
                log.trace("the open connection was lost (\(LogText.escaped(error.message))); reconnecting once")
                reconnected = true
            case .sendAgain where !sentAgain:
                log.trace("the server rolled the statement back (\(LogText.escaped(error.message))); sending it once more")
                sentAgain = true
            // A connection lost again, or lost while fresh (the server died under it): with a
            // `host` list that server is skipped like one that cannot serve.
            case .tryNextServer where servers.count > 1, .reconnect where servers.count > 1:
                let index = acquired.connection.serverIndex
                failover.noteFailure(of: servers[index], skipFor: options.failoverRetry)
                serversMarkedFailed += 1
                refusing.append(index)
                log(
                    .err,
                    "MySQL error (\(LogText.escaped(error.message, limit: 256))) from server \(index + 1) of \(servers.count) (\(servers[index].description)): it cannot serve, trying the next server (skipped for \(options.failoverRetry) s)"
                )
                if refusing.count == servers.count {
                    return .failure(
                        DatabaseError(
                            kind: .unavailable, code: error.code,
                            message:
                                "no server of the host list could serve the statement (\(servers.count) tried: \(identity.serversDescription))"
                        ))
                }
            default:
                return result
            }
        }
    }

    /// Makes sure the server answers (a password change's preliminary check, `pam-mysql check`):
    /// a reused connection is pinged, since nothing else would be sent on it.
    package func connect() -> Result<Void, DatabaseError> {
        // At most two rounds: a stale reused connection is dropped, and the second round opens
        // a fresh one (which needs no ping: connecting just talked to the server).
        for attempt in 0..<2 {
            switch acquire(fresh: attempt > 0) {
            case .failure(let error): return .failure(error)
            case .success(let acquired) where !acquired.reused || acquired.connection.ping(): return .success(())
            case .success: drop()
            }
        }
        return .failure(DatabaseError(kind: .unavailable, code: 2006, message: "the server does not answer"))
    }

    /// The server this session's connection goes to, if one is open.
    package var connectedServer: ServerAddress? {
        connection.map { $0.identity.servers[$0.serverIndex] }
    }
}
