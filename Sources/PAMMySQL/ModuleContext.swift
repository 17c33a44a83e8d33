#if canImport(Glibc)
import Glibc
#endif
import PAMMySQLCore

/// What the module keeps per PAM handle: the options (sticky across the lines and calls of one
/// transaction, as in pam_mysql) and the open connection. Stored with `pam_set_data` and
/// released by libpam's cleanup at `pam_end()`.
final class ModuleContext {
    static let dataName = "pam_mysql_swift_context"

    var options = ModuleOptions()
    /// Set when a call's configuration was refused. Every later call on this handle is refused
    /// with the same reason: its options would otherwise miss what the refused line meant to
    /// add for the lines after it (options are sticky), such as its `config_file`.
    var refusedConfiguration: OptionError?
    private var connection: MariaDBConnection?

    /// The handle's context, created on first use.
    static func retrieve(_ pam: PAMHandle) -> ModuleContext? {
        if let existing = pam.data(named: dataName) {
            return Unmanaged<ModuleContext>.fromOpaque(existing).takeUnretainedValue()
        }
        let context = ModuleContext()
        let pointer = Unmanaged.passRetained(context).toOpaque()
        let status = pam.setData(named: dataName, pointer) { _, data, _ in
            if let data { Unmanaged<ModuleContext>.fromOpaque(data).release() }
        }
        guard status == 0 else {
            Unmanaged<ModuleContext>.fromOpaque(pointer).release()
            return nil
        }
        return context
    }

    /// The status the authentication SELECT already read, for the account line that follows
    /// in the same transaction (one SELECT per login instead of two). Only what the account
    /// line needs: the stored password itself is not kept for the rest of the transaction.
    /// Keyed by everything that chose the row: the user, the statement (table, columns,
    /// `where`) and the connection identity (servers, SQL login, database), so an account line
    /// that points elsewhere reads its own row.
    struct AccountRow {
        let user: [UInt8]
        let sql: String
        let identity: ConnectionIdentity
        let statusValue: SecretBytes?
        let passwordIsNull: Bool
    }

    var accountRow: AccountRow?

    deinit {
        // pam_end(): the connection outlives the transaction in the process-wide pool, except in
        // a set-uid host, whose later life (the caller's shell, a changed uid) we do not control.
        if let connection, !SecureExecution.isActive { ConnectionPool.shared.checkIn(connection) }
    }

    /// A connection for the current options: this handle's own, else one from the pool, else a
    /// new one (only a new one with `fresh`, after a reused one turned out stale). `reused`
    /// tells whether it may have gone stale since it was last used. With a `host` list, an open
    /// connection to a later server is given up once an earlier one is due to be tried again.
    private func acquire(
        trace: Trace, log: LogSink, fresh: Bool = false
    ) -> Result<(connection: MariaDBConnection, reused: Bool), DatabaseError> {
        let identity = ConnectionIdentity(options)
        if let current = connection {
            if current.isUsableInThisProcess, current.identity.matches(identity), !preferEarlierServer(than: current) {
                return .success((current, true))
            }
            connection = nil
            if current.isUsableInThisProcess, current.identity.matches(identity) {
                trace("leaving server \(current.serverIndex + 1) for an earlier one that is due to be retried")
            } else if current.isUsableInThisProcess {
                ConnectionPool.shared.checkIn(current)
            } else {
                current.abandon()
            }
        }
        if !fresh, !SecureExecution.isActive, let pooled = ConnectionPool.shared.checkOut(identity) {
            if !preferEarlierServer(than: pooled) {
                trace("reusing an open connection to \(pooled.identity.servers[pooled.serverIndex].description)")
                connection = pooled
                return .success((pooled, true))
            }
            trace("closing an open connection to server \(pooled.serverIndex + 1): an earlier one is due to be retried")
        }
        return openFirstAnswering(identity, trace: trace, log: log).map { opened in
            connection = opened
            return (opened, false)
        }
    }

    /// Whether `connection` goes to a later server of its list while an earlier one is not
    /// (or no longer) marked as failed.
    private func preferEarlierServer(than connection: MariaDBConnection) -> Bool {
        guard connection.serverIndex > 0 else { return false }
        let skipped = ConnectionPool.shared.skipped(Array(connection.identity.servers[..<connection.serverIndex]))
        return skipped.contains(false)
    }

    /// Tries the servers in order, each with the connect timeout; those that failed within
    /// `failover_retry` seconds go last (all are tried when all failed). One server: exactly
    /// the single-server behaviour (its error is returned as it is, nothing remembered).
    private func openFirstAnswering(
        _ identity: ConnectionIdentity, trace: Trace, log: LogSink
    ) -> Result<MariaDBConnection, DatabaseError> {
        let servers = identity.servers
        if servers.count == 1 {
            trace("connecting to \(servers[0].description) as \(LogText.escaped(identity.user))")
            return MariaDBConnection.open(options, identity: identity, serverIndex: 0)
        }
        let skipped = ConnectionPool.shared.skipped(servers)
        let order = servers.indices.filter { !skipped[$0] } + servers.indices.filter { skipped[$0] }
        var failed: [Int] = []
        var lastError: DatabaseError?
        for index in order {
            let server = servers[index]
            if let remaining = LoginDeadline.remainingMilliseconds(), remaining <= 0 {
                // Not tried, so not marked as failed either.
                log(.err, "login_timeout (\(options.loginTimeout) s) reached before server \(index + 1) of \(servers.count) (\(server.description)) could be tried")
                break
            }
            trace("connecting to server \(index + 1) of \(servers.count) (\(server.description)) as \(LogText.escaped(identity.user))")
            switch MariaDBConnection.open(options, identity: identity, serverIndex: index) {
            case .success(let opened):
                ConnectionPool.shared.noteSuccess(of: server)
                if index > 0 {
                    let before = servers[..<index].map { $0.description }.joined(separator: ", ")
                    log(.warning, "using server \(index + 1) of \(servers.count) (\(server.description)): \(before) failed to connect (skipped for \(options.failoverRetry) s after a failure)")
                }
                return .success(opened)
            case .failure(let error) where error.kind == .statement:
                return .failure(error)  // a configuration error: the same for every server
            case .failure(let error):
                log(.err, "MySQL error (\(LogText.escaped(error.message, limit: 256))) connecting to server \(index + 1) of \(servers.count) (\(server.description))")
                ConnectionPool.shared.noteFailure(of: server, skipFor: options.failoverRetry)
                failed.append(index)
                lastError = error
            }
        }
        return .failure(DatabaseError(
            kind: .unavailable, code: lastError?.code ?? 2003,
            message: "no server of the host list could be connected (\(failed.count) tried: \(identity.serversDescription))"))
    }

    /// Runs a statement on this handle's connection, opening it if needed. A reused connection
    /// that turns out to be gone (server restart, `wait_timeout`) is replaced and the statement
    /// sent once more; a fresh one is never retried, so an unreachable server is reported
    /// after one connect timeout.
    func execute(
        _ sql: String, parameters: [SecretBytes], trace: Trace, log: LogSink
    ) -> Result<StatementResult, DatabaseError> {
        for attempt in 0..<2 {
            let acquired: (connection: MariaDBConnection, reused: Bool)
            switch acquire(trace: trace, log: log, fresh: attempt > 0) {
            case .failure(let error): return .failure(error)
            case .success(let value): acquired = value
            }
            let result = acquired.connection.execute(sql, parameters: parameters, maximumValueLength: maximumStoredValueLength)
            if case .failure(let error) = result, error.breaksConnection {
                dropConnection()
                if error.isLostConnection, acquired.reused, attempt == 0 {
                    trace("the open connection was lost (\(LogText.escaped(error.message))); reconnecting once")
                    continue
                }
            }
            return result
        }
        return .failure(DatabaseError(kind: .unavailable, code: 2006, message: "connection lost"))
    }

    /// Makes sure the server answers (chauthtok's preliminary check): a reused connection is
    /// pinged, since nothing else would be sent on it.
    func connect(trace: Trace, log: LogSink) -> Result<Void, DatabaseError> {
        // At most two rounds: a stale reused connection is dropped, and the second round opens
        // a fresh one (which needs no ping: connecting just talked to the server).
        for attempt in 0..<2 {
            switch acquire(trace: trace, log: log, fresh: attempt > 0) {
            case .failure(let error): return .failure(error)
            case .success(let acquired) where !acquired.reused || acquired.connection.ping(): return .success(())
            case .success: dropConnection()
            }
        }
        return .failure(DatabaseError(kind: .unavailable, code: 2006, message: "the server does not answer"))
    }

    /// Closes this handle's connection (`disconnect_every_op`, or after a connection failure).
    func dropConnection() {
        connection = nil
    }
}
