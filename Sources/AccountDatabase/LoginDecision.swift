import PAMMySQLCore

/// Whether a user logs in, as every front end needs to tell it: a refusal (the user's doing),
/// a temporary failure (try again later: the database is out of reach) or a configuration
/// error (an administrator must act). The PAM module, `pam-mysql check` and the auth daemon
/// each map it to their own answers in one place.
package enum LoginDecision: Equatable {
    case accepted(LoginAcceptance)
    case refused(LoginRefusal)
    /// The database cannot be reached, timed out or lost the connection.
    case temporaryFailure(DatabaseError)
    case configurationError(ConfigurationProblem)
}

package enum LoginAcceptance: Equatable {
    /// The password verified against the stored value.
    case passwordVerified
    /// A NULL or empty stored password, allowed by `nullok`.
    case emptyPasswordAllowed
}

package enum LoginRefusal: Equatable {
    case wrongPassword
    /// No row for the user (after a decoy verification, so the time tells nothing).
    case unknownUser
    /// The caller had no password to offer (only with `use_first_pass`).
    case noPassword
    /// The stored password is NULL, or empty (also `{PLAIN}` with nothing after it), and
    /// `nullok` does not allow it (or the application passed PAM_DISALLOW_NULL_AUTHTOK).
    case emptyStoredPassword
    /// Longer than `maximumPasswordLength`: refused before any hashing.
    case passwordTooLong
    /// A pam_mysql mode's stored value that cannot be verified: pam_mysql answered it like a
    /// wrong password, and so do we (the reason is logged).
    case malformedStoredValue(reason: String)
}

package enum ConfigurationProblem: Equatable {
    /// The server refused the statement (table, column, grant, SQL) or the options cannot make
    /// a connection.
    case database(DatabaseError)
    /// The user column is not unique.
    case multipleRows(UInt64)
    /// crypt=dovecot: the row (or a weak scheme the options refuse) needs an administrator, as
    /// Dovecot treats it.
    case malformedStoredValue(reason: String)
}
