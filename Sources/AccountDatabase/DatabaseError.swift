import PAMMySQLCore

/// Why a database step failed: the server is out of reach (a temporary failure) or it refused
/// the statement (a configuration error). Each front end answers in its own terms; what the
/// session does first (reconnect, send again, try the next server) is `remedy`.
package struct DatabaseError: Error, Equatable {
    package enum Kind {
        /// The server cannot be reached or stopped answering (connect failure, timeout, lost
        /// connection), or cannot serve now (a Galera node outside the primary component, a
        /// deadlock): a temporary failure.
        case unavailable
        /// The server answered with an error (bad table, column, grant, SQL), or the options
        /// cannot make a connection: a configuration error.
        case statement
    }

    /// What the session does about a failed statement before it answers with the error. Every
    /// remedy is applied at most once per statement (per server for `tryNextServer`), so a
    /// statement ends after at most `servers + 2` attempts, within the login deadline.
    package enum Remedy: Equatable, Sendable {
        /// Nothing: the error is the answer (a configuration error, or a temporary failure that
        /// no retry would cure in time, such as a lock wait that already took
        /// `innodb_lock_wait_timeout`).
        case answer
        /// The connection is gone (server restart, `wait_timeout`): a reused one is replaced and
        /// the statement sent once more; a fresh one is not retried on the same server (with a
        /// `host` list its server is skipped and the next one tried, as for `tryNextServer`).
        case reconnect
        /// This server accepts connections but serves no statement (a Galera node outside the
        /// primary component, or one still joining, answers every SELECT with ER 1047; a server
        /// shutting down answers 1053): like a connection failure, the server is skipped for
        /// `failover_retry` seconds and the next one of the `host` list is tried. With a single
        /// server it is a temporary failure, never a refusal of the user.
        case tryNextServer
        /// The server rolled the statement back (a deadlock, or a Galera certification conflict
        /// with a write set of another node, both ER 1213): nothing of it was applied, so it is
        /// sent once more on the same connection; a second conflict is a temporary failure.
        case sendAgain
    }

    package let kind: Kind
    /// Connector/C's error number (`CR_*` for client errors, `ER_*` for the server's).
    package let code: UInt32
    /// `mysql_error()` text: names servers, users and SQL, never a password or a bound value.
    package let message: String

    package init(kind: Kind, code: UInt32, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// An error Connector/C reported for a statement, its kind decided by its number: client
    /// errors (`CR_*`, 2000-2999) mean the server is gone or silent, so do the server errors of
    /// `temporaryServerErrors`; every other server error means the SQL, table or grant is wrong.
    package init(statementErrorCode code: UInt32, message: String) {
        let temporary = (2000..<3000).contains(code) || Self.temporaryServerErrors.contains(code)
        self.init(kind: temporary ? .unavailable : .statement, code: code, message: message)
    }

    /// Server errors that say the server, not the SQL, failed: too many connections (1040),
    /// a Galera node not ready (1047 ER_UNKNOWN_COM_ERROR, "WSREP has not yet prepared node for
    /// application use"), shutdown in progress (1053), lock wait timeout or deadlock (1205,
    /// 1213), query interrupted (1317), connection killed (1927). A temporary failure: the login
    /// answers "try later" (PAM_AUTHINFO_UNAVAIL, the daemon's temporary failure), so
    /// `[authinfo_unavail=…]` stacks fall back and no client counts it as a wrong password.
    package static let temporaryServerErrors: Set<UInt32> = [1040, 1047, 1053, 1205, 1213, 1317, 1927]

    /// Server errors after which this server is left for the next one (see `Remedy.tryNextServer`).
    static let serverCannotServeErrors: Set<UInt32> = [1047, 1053]

    package var remedy: Remedy {
        if isLostConnection { return .reconnect }
        if Self.serverCannotServeErrors.contains(code) { return .tryNextServer }
        if code == 1213 { return .sendAgain }
        return .answer
    }

    /// Client-side errors that mean the connection itself is gone, so a reused one may be
    /// replaced and the statement sent again.
    package var isLostConnection: Bool { code == 2006 || code == 2013 || code == 2055 }

    /// After this error the connection cannot be used again. A lock wait timeout or a deadlock
    /// (1205, 1213) ends only the statement: the connection stays (and `sendAgain` uses it).
    package var breaksConnection: Bool { kind == .unavailable && code != 1205 && code != 1213 }
}
