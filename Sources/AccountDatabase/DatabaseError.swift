import PAMMySQLCore

/// Why a database step failed: the server is out of reach (a temporary failure) or it refused
/// the statement (a configuration error). Each front end answers in its own terms.
package struct DatabaseError: Error, Equatable {
    package enum Kind {
        /// The server cannot be reached or stopped answering (connect failure, timeout, lost
        /// connection): a temporary failure.
        case unavailable
        /// The server answered with an error (bad table, column, grant, SQL), or the options
        /// cannot make a connection: a configuration error.
        case statement
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

    /// Client-side errors that mean the connection itself is gone, so a reused one may be
    /// replaced and the statement sent again.
    package var isLostConnection: Bool { code == 2006 || code == 2013 || code == 2055 }

    /// After this error the connection cannot be used again.
    package var breaksConnection: Bool { kind == .unavailable }
}
