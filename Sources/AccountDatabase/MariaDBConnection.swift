internal import CMariaDB
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// Connector/C initialisation, once per process and thread-safe (a global `let` runs once).
/// `mysql_library_end()` is never called: the host or another PAM handle may still use the
/// library, and pam_mysql's calls to it crashed saslauthd and nginx.
private let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

/// One open MariaDB connection: the only owner of a `MYSQL *`.
package final class MariaDBConnection: DatabaseConnection {
    private let handle: UnsafeMutablePointer<MYSQL>
    package let identity: ConnectionIdentity
    /// Which entry of `identity.servers` this connection goes to.
    package let serverIndex: Int
    /// A connection inherited through `fork()` belongs to the parent: the child must neither
    /// use it nor send COM_QUIT on the shared socket.
    private let ownerPID: pid_t
    /// Set when the connection must be dropped without a word to the server.
    private var abandoned = false
    /// Prepared statements by SQL text: a reused connection skips the prepare round trip.
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    static let maximumCachedStatements = 8

    /// The socket, registered in `LiveSockets` while this process owns the connection.
    private let socket: Int32

    private init(handle: UnsafeMutablePointer<MYSQL>, identity: ConnectionIdentity, serverIndex: Int) {
        self.handle = handle
        self.identity = identity
        self.serverIndex = serverIndex
        ownerPID = getpid()
        socket = mysql_get_socket(handle)
        LiveSockets.add(socket)
    }

    deinit {
        // In a child of fork() the descriptor was already closed by the fork handler (its number
        // may now be another file's): nothing of the connection is touched.
        guard !abandoned, getpid() == ownerPID else { return }
        LiveSockets.remove(socket)
        for statement in statements.values { mysql_stmt_close(statement) }
        mysql_close(handle)
    }

    package var isUsableInThisProcess: Bool { !abandoned && getpid() == ownerPID }

    /// Forgets a connection inherited through `fork()` without sending anything (COM_QUIT would
    /// go out on a socket the parent process still uses). Its memory is left behind on purpose;
    /// this process's copy of its descriptor was closed by the fork handler (`LiveSockets`).
    package func abandon() {
        abandoned = true
    }

    /// One round trip to check the server still answers (for a connection taken from the pool
    /// when nothing else would be sent).
    package func serves(_ other: ConnectionIdentity) -> Bool {
        identity.matches(other)
    }

    package func ping() -> Bool {
        mysql_ping(handle) == 0
    }

    /// The most a packet from the server may hold. A row is one packet: the module reads at
    /// most `maximumStoredValueLength` bytes of a value, and without this bound a hostile server
    /// could make Connector/C buffer a row of up to 1 GiB first.
    /// A stored value over `maximumStoredValueLength` but within this limit is still read, up
    /// to that length, and refused as malformed, as before. A larger row ends the connection:
    /// Connector/C 3.3 then reports "Lost connection to server during query" (CR_SERVER_LOST:
    /// `ma_net_safe_read` compares its own CR_NET_PACKET_TOO_LARGE with the server's
    /// ER_NET_PACKET_TOO_LARGE), so the login gets PAM_AUTHINFO_UNAVAIL.
    static let maximumPacketSize = 2 * 1024 * 1024

    /// Connects to entry `serverIndex` of the identity's server list.
    ///
    /// Every parameter Connector/C would otherwise take from the environment is passed
    /// explicitly (see `SecureExecution`): the Unix socket and port (the compiled-in defaults
    /// when the options give none), the user, a password (never NULL, which reads
    /// `MYSQL_PWD`), the plugin directory; no option file is read (none is named).
    package static func open(
        _ options: ModuleOptions, identity: ConnectionIdentity, serverIndex: Int
    ) -> Result<any DatabaseConnection, DatabaseError> {
        let mode = identity.sslMode
        if mode == .verifyCA || mode == .verifyIdentity, options.sslCA == nil, options.sslCAPath == nil {
            // Connector/C 3.3 checks no chain without a CA: refuse rather than pretend.
            return .failure(
                DatabaseError(
                    kind: .statement, code: 0,
                    message: "ssl_mode=\(mode.optionValue) needs ssl_ca or ssl_capath to verify the server's certificate"))
        }
        if !identity.authPlugins.isEmpty, mode != .verifyCA, mode != .verifyIdentity {
            return .failure(
                DatabaseError(
                    kind: .statement, code: 0,
                    message: "ssl_auth_plugins applies only to a verified TLS link: set ssl_mode=verify_ca or verify_identity (with ssl_ca)"
                ))
        }
        if let refusal = SecureExecution.refusal() {
            return .failure(DatabaseError(kind: .statement, code: 0, message: refusal))
        }
        guard libraryReady, let handle = mysql_init(nil) else {
            return .failure(DatabaseError(kind: .unavailable, code: 2008, message: "cannot initialise the MariaDB client library"))
        }
        // Bounded waits: Connector/C's defaults are 0 (wait forever), which hung hosts on a
        // silent server. The connect timeout also bounds the handshake; the login deadline cuts
        // each of them to what is left (exactly, through the wait hook).
        // Only the connect timeout is cut to the deadline left: the read and write timeouts stay
        // with the connection in the pool, and later calls have their own deadline (the wait
        // hook cuts each wait of theirs).
        var connectTimeout = LoginDeadline.seconds(cappedBy: options.connectTimeout)
        var readTimeout = options.readTimeout
        var writeTimeout = options.writeTimeout
        // Must be a pointer to 0: a NULL argument *enables* LOCAL INFILE in Connector/C.
        var localInfile: UInt32 = 0
        var maximumPacket = maximumPacketSize
        _ = mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        _ = mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        _ = mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        _ = mysql_options(handle, MYSQL_OPT_LOCAL_INFILE, &localInfile)
        _ = mysql_options(handle, MYSQL_OPT_MAX_ALLOWED_PACKET, &maximumPacket)
        _ = mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // Plugins the server asks for are loaded from the system's directory, never from
        // MARIADB_PLUGIN_DIR.
        _ = mysql_options(handle, MYSQL_PLUGIN_DIR, MARIADB_PLUGINDIR)
        // Only plugins that never hand the server the password, unless TLS with a verified
        // certificate protects the link (checked above). The list is checked before the first
        // plugin runs, so a server that asks for mysql_clear_password in its greeting, or later
        // by an AuthSwitchRequest, is refused before anything is sent. (Connector/C matches
        // with strstr: a name that is only part of one of these finds no built-in plugin and
        // gets the fallback, which sends no password.)
        let allowedPlugins = (AuthenticationPlugin.neverRevealing + identity.authPlugins).map { $0.rawValue }
        // A loop, not `joined(separator:)`: that stdlib entry point is not specialised, and its
        // first call resolves an associated type by demangling (80,000 instructions, paid by
        // every process that authenticates once).
        var pluginList = ""
        for name in allowedPlugins {
            pluginList += pluginList.isEmpty ? name : "," + name
        }
        _ = mysql_options(handle, MARIADB_OPT_RESTRICTED_AUTH, pluginList)
        _ = mysql_options(handle, MARIADB_OPT_IO_WAIT, unsafeBitCast(ConnectionWait.hook, to: UnsafeRawPointer.self))
        if mode != .disable {
            // Set explicitly: Connector/C 3.3 neither enforces TLS nor checks the host name by
            // default. A CA (file or directory) makes it check the chain in every mode.
            for (option, value) in [
                (MYSQL_OPT_SSL_CA, options.sslCA), (MYSQL_OPT_SSL_CAPATH, options.sslCAPath),
                (MYSQL_OPT_SSL_CERT, options.sslCert), (MYSQL_OPT_SSL_KEY, options.sslKey),
                (MYSQL_OPT_SSL_CIPHER, options.sslCipher),
            ] {
                if let value { _ = mysql_options(handle, option, value) }
            }
            // In Connector/C 3.3 "enforce" only asks for TLS (use_ssl): it is what `preferred`
            // needs, and a server without TLS is refused below for the stricter modes. Only with
            // the host name checked does Connector/C itself refuse a server without TLS before
            // sending the login (see README, TLS and failover).
            var enforce: my_bool = 1
            var verifyServer: my_bool = mode == .verifyIdentity ? 1 : 0
            _ = mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
            _ = mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verifyServer)
        }

        var host: String? = nil
        var port = UInt32(MARIADB_PORT)
        // Also for `localhost`, which Connector/C reaches through a socket.
        var socket = MARIADB_UNIX_ADDR
        switch identity.servers[serverIndex] {
        case .defaultSocket: break
        case .socket(let path): socket = path
        case .network(let name, let number):
            host = name
            if number != 0 { port = number }
        }
        let connected = withOptionalCString(host) { host in
            socket.withCString { socket in
                withOptionalCString(options.db) { database in
                    (options.user ?? "").withCString { user in
                        let password = options.passwd ?? SecretBytes([])
                        return password.withCString { password in
                            mysql_real_connect(handle, host, user, password, database, port, socket, UInt(CLIENT_FOUND_ROWS)) != nil
                        }
                    }
                }
            }
        }
        // Already set by the wait hook in every ordinary case; this covers a connect that never
        // had to wait.
        ConnectionWait.setCloseOnExec(mysql_get_socket(handle))
        guard connected else {
            var message = errorText(handle)
            let code = mysql_errno(handle)
            // CR_SSL_CONNECTION_ERROR: say which TLS setting refused the server.
            if mode != .disable, code == 2026 { message += " (ssl_mode=\(mode.optionValue))" }
            // CR_PLUGIN_NOT_ALLOWED. Connector/C's text names the greeting's plugin even when a
            // later AuthSwitchRequest asked for the refused one, so it is replaced.
            if code == 5010 {
                message =
                    "the server asked for an authentication plugin outside \(allowedPlugins.joined(separator: ", ")); the password was not sent (others need ssl_mode=verify_identity or verify_ca and ssl_auth_plugins)"
            }
            let error = DatabaseError(kind: code == 5010 ? .statement : .unavailable, code: code, message: message)
            mysql_close(handle)
            return .failure(error)
        }
        if mode != .disable, mode != .preferred, mysql_get_ssl_cipher(handle) == nil {
            // Connector/C 3.3 falls back to plain text when the server offers no TLS unless the
            // host name is checked: refuse the connection before any statement is sent.
            mysql_close(handle)
            return .failure(
                DatabaseError(
                    kind: .unavailable, code: 2026,
                    message: "TLS/SSL error: the server does not support TLS, which ssl_mode=\(mode.optionValue) requires"))
        }
        let connection = MariaDBConnection(handle: handle, identity: identity, serverIndex: serverIndex)
        return .success(connection)
    }

    /// Runs `sql` with `parameters` bound as strings, one per `?`, and returns the row count
    /// and the first row (a SELECT) or the number of changed rows (an INSERT or UPDATE).
    package func execute(_ sql: String, parameters: [SecretBytes], maximumValueLength: Int) -> Result<StatementResult, DatabaseError> {
        let statement: UnsafeMutablePointer<MYSQL_STMT>
        switch preparedStatement(sql, parameterCount: parameters.count) {
        case .failure(let error): return .failure(error)
        case .success(let prepared): statement = prepared
        }
        let result = run(statement, parameters: parameters, maximumValueLength: maximumValueLength)
        if case .failure = result {
            // A statement that failed is not trusted again.
            statements[sql] = nil
            mysql_stmt_close(statement)
        }
        return result
    }

    private func preparedStatement(_ sql: String, parameterCount: Int) -> Result<UnsafeMutablePointer<MYSQL_STMT>, DatabaseError> {
        if let cached = statements[sql] { return .success(cached) }
        guard let statement = mysql_stmt_init(handle) else { return .failure(connectionError()) }
        let prepared = sql.withCString { mysql_stmt_prepare(statement, $0, UInt(strlen($0))) }
        guard prepared == 0 else {
            let error = statementError(statement, withBoundValues: false)
            mysql_stmt_close(statement)
            return .failure(error)
        }
        guard mysql_stmt_param_count(statement) == UInt(parameterCount) else {
            mysql_stmt_close(statement)
            return .failure(
                DatabaseError(
                    kind: .statement, code: 0,
                    message:
                        "the statement must contain exactly \(parameterCount) parameter(s); is there a `?` in where or a column option?"))
        }
        if statements.count >= Self.maximumCachedStatements, let (oldSQL, oldStatement) = statements.first {
            statements[oldSQL] = nil
            mysql_stmt_close(oldStatement)
        }
        statements[sql] = statement
        return .success(statement)
    }

    private func run(
        _ statement: UnsafeMutablePointer<MYSQL_STMT>, parameters: [SecretBytes], maximumValueLength: Int
    ) -> Result<StatementResult, DatabaseError> {
        guard bindAndExecute(statement, parameters) == 0 else { return .failure(statementError(statement)) }
        let columnCount = Int(mysql_stmt_field_count(statement))
        guard columnCount > 0 else {
            // An UPDATE or INSERT: the rows it matched (CLIENT_FOUND_ROWS, so an UPDATE to the
            // same value still counts its row).
            return .success(StatementResult(rowCount: mysql_stmt_affected_rows(statement), firstRow: []))
        }
        guard mysql_stmt_store_result(statement) == 0 else { return .failure(statementError(statement)) }
        defer { mysql_stmt_free_result(statement) }
        let rowCount = mysql_stmt_num_rows(statement)
        guard rowCount >= 1 else { return .success(StatementResult(rowCount: 0, firstRow: [])) }
        return fetchFirstRow(statement, columnCount: columnCount, maximumValueLength: maximumValueLength).map {
            StatementResult(rowCount: rowCount, firstRow: $0)
        }
    }

    private func bindAndExecute(_ statement: UnsafeMutablePointer<MYSQL_STMT>, _ parameters: [SecretBytes]) -> Int32 {
        let count = parameters.count
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: max(count, 1))
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: max(count, 1))
        defer {
            lengths.deallocate()
            binds.deallocate()
        }
        // The secrets' own buffers are bound (no copy of a hash is made); each stays valid
        // while the nested closures run, and the statement executes inside the innermost one.
        func bind(_ index: Int) -> Int32 {
            guard index < count else {
                if count > 0, mysql_stmt_bind_param(statement, binds) != 0 { return 1 }
                return mysql_stmt_execute(statement)
            }
            return parameters[index].withUnsafeMutableBytes { buffer in
                (lengths + index).initialize(to: UInt(buffer.count))
                (binds + index).initialize(to: stringBind(buffer, length: lengths + index))
                return bind(index + 1)
            }
        }
        return bind(0)
    }

    /// Fetches the first row: a first fetch with empty buffers tells each value's length and
    /// NULL-ness, then each column is read into a secret of exactly that size.
    private func fetchFirstRow(
        _ statement: UnsafeMutablePointer<MYSQL_STMT>, columnCount: Int, maximumValueLength: Int
    ) -> Result<[SecretBytes?], DatabaseError> {
        var lengths = [UInt](repeating: 0, count: columnCount)
        var nulls = [CChar](repeating: 0, count: columnCount)
        var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: columnCount)
        let fetched: Int32 = lengths.withUnsafeMutableBufferPointer { lengthPointers in
            nulls.withUnsafeMutableBufferPointer { nullPointers in
                for i in 0..<columnCount {
                    binds[i].buffer_type = MYSQL_TYPE_STRING
                    binds[i].length = lengthPointers.baseAddress! + i
                    binds[i].is_null = nullPointers.baseAddress! + i
                }
                guard mysql_stmt_bind_result(statement, &binds) == 0 else { return 1 }
                return mysql_stmt_fetch(statement)
            }
        }
        guard fetched == 0 || fetched == MYSQL_DATA_TRUNCATED else { return .failure(statementError(statement)) }

        var row: [SecretBytes?] = []
        for i in 0..<columnCount {
            if nulls[i] != 0 {
                row.append(nil)
                continue
            }
            // The first fetch's length is exact for strings but only a hint for numbers converted
            // to text (a DOUBLE column), so read into at least 512 bytes and keep what the
            // second fetch reports. An oversized value is read only up to the limit; the caller
            // refuses it by length.
            let capacity = min(max(Int(min(lengths[i], UInt(Int.max))), 512), maximumValueLength + 1)
            let buffer = SecretBytes(zeroedCount: capacity)
            var columnLength: UInt = 0
            let status = buffer.withUnsafeMutableBytes { bytes -> Int32 in
                withUnsafeMutablePointer(to: &columnLength) { length in
                    var bind = stringBind(bytes, length: length)
                    return mysql_stmt_fetch_column(statement, &bind, UInt32(i), 0)
                }
            }
            guard status == 0 else { return .failure(statementError(statement)) }
            let value = buffer.slice(0..<min(Int(min(columnLength, UInt(Int.max))), capacity))
            row.append(value)
        }
        return .success(row)
    }

    private func connectionError() -> DatabaseError {
        DatabaseError(kind: .unavailable, code: mysql_errno(handle), message: errorText(handle))
    }

    /// Server errors whose text names only schema objects, columns or the server's state, never
    /// a value: access denied (1044, 1045, 1142, 1143), no database (1046, 1049), unknown column
    /// or table (1054, 1146), NULL or too long for a column (1048, 1406), lock wait, deadlock,
    /// read-only or interrupted (1205, 1213, 1290, 1317), too many connections (1040), a Galera
    /// node not ready or a server shutting down (1047, 1053).
    static let valueFreeServerErrors: Set<UInt32> = [
        1040, 1044, 1045, 1046, 1047, 1048, 1049, 1053, 1054, 1142, 1143, 1146, 1205, 1213, 1290, 1317, 1406,
    ]

    /// The error of `statement`. Once values are bound (`withBoundValues`), a server error's
    /// text is logged only when it cannot quote one: MariaDB's 1366 ("Incorrect string value:
    /// '\xF0\x9F…' for column …"), 1292 or 1062 ("Duplicate entry '…'") copy part of a bound
    /// value, which may be a new password or a hash, into the message.
    private func statementError(_ statement: UnsafeMutablePointer<MYSQL_STMT>, withBoundValues: Bool = true) -> DatabaseError {
        let code = mysql_stmt_errno(statement)
        // The kind (temporary or configuration) comes from the code: DatabaseError's rule.
        let error = DatabaseError(statementErrorCode: code, message: String(cString: mysql_stmt_error(statement)))
        if withBoundValues, error.kind == .statement, !Self.valueFreeServerErrors.contains(code) {
            let state = String(cString: mysql_stmt_sqlstate(statement))
            return DatabaseError(
                kind: error.kind, code: code,
                message:
                    "server error \(code) (SQLSTATE \(LogText.escaped(state, limit: 5))); its text is not logged: it may quote a bound value"
            )
        }
        return error
    }
}

/// A string bind over `buffer` (a parameter to send or a column value to receive).
private func stringBind(_ buffer: UnsafeMutableRawBufferPointer, length: UnsafeMutablePointer<UInt>) -> MYSQL_BIND {
    var bind = MYSQL_BIND()
    bind.buffer_type = MYSQL_TYPE_STRING
    bind.buffer = buffer.baseAddress
    bind.buffer_length = UInt(buffer.count)
    bind.length = length
    return bind
}

private func errorText(_ handle: UnsafeMutablePointer<MYSQL>) -> String {
    String(cString: mysql_error(handle))
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
