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

    /// The status row the authentication SELECT already read, for the account line that
    /// follows in the same transaction (one SELECT per login instead of two).
    struct AccountRow {
        let user: [UInt8]
        let sql: String
        let row: [SecretBytes?]
    }

    var accountRow: AccountRow?

    deinit {
        // pam_end(): the connection outlives the transaction in the process-wide pool.
        if let connection { ConnectionPool.shared.checkIn(connection) }
    }

    /// A connection for the current options: this handle's own, else one from the pool, else a
    /// new one (only a new one with `fresh`, after a reused one turned out stale). `reused`
    /// tells whether it may have gone stale since it was last used.
    private func acquire(
        trace: (String) -> Void, fresh: Bool = false
    ) -> Result<(connection: MariaDBConnection, reused: Bool), DatabaseError> {
        let identity = ConnectionIdentity(options)
        if let current = connection {
            if current.isUsableInThisProcess, current.identity.matches(identity) { return .success((current, true)) }
            connection = nil
            if current.isUsableInThisProcess { ConnectionPool.shared.checkIn(current) } else { current.abandon() }
        }
        if !fresh, let pooled = ConnectionPool.shared.checkOut(identity) {
            trace("reusing an open connection to \(identity.address.description)")
            connection = pooled
            return .success((pooled, true))
        }
        trace("connecting to \(identity.address.description) as \(LogText.escaped(identity.user))")
        switch MariaDBConnection.open(options) {
        case .success(let fresh):
            connection = fresh
            return .success((fresh, false))
        case .failure(let error): return .failure(error)
        }
    }

    /// Runs a statement on this handle's connection, opening it if needed. A reused connection
    /// that turns out to be gone (server restart, `wait_timeout`) is replaced and the statement
    /// sent once more; a fresh one is never retried, so an unreachable server is reported
    /// after one connect timeout.
    func execute(_ sql: String, parameters: [SecretBytes], trace: (String) -> Void) -> Result<StatementResult, DatabaseError> {
        for attempt in 0..<2 {
            let acquired: (connection: MariaDBConnection, reused: Bool)
            switch acquire(trace: trace, fresh: attempt > 0) {
            case .failure(let error): return .failure(error)
            case .success(let value): acquired = value
            }
            let result = acquired.connection.execute(sql, parameters: parameters, maximumValueLength: maximumStoredValueLength)
            if case .failure(let error) = result, error.kind == .unavailable {
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
    func connect(trace: (String) -> Void) -> Result<Void, DatabaseError> {
        // At most two rounds: a stale reused connection is dropped, and the second round opens
        // a fresh one (which needs no ping: connecting just talked to the server).
        for attempt in 0..<2 {
            switch acquire(trace: trace, fresh: attempt > 0) {
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
