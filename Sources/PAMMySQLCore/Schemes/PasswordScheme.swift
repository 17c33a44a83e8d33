/// One way of checking a typed password against the value stored in the database, and of
/// writing the value for a new one.
///
/// A scheme is a plain record plus a verify and a generate function, as in Dovecot's password
/// schemes: adding a scheme (Dovecot's `{SCHEME}` forms) means adding a type and registering it
/// in `PasswordSchemes`, not touching the flows. Both functions are requirements and live in the
/// scheme's file, so no mode can be verified without being writable, and the two cannot drift.
public protocol PasswordScheme: Sendable {
    /// The name used in log lines ("md5", "drupal7", …).
    var name: String { get }
    /// Compares `password` with `stored`. Must run in time independent of where they differ,
    /// must not trap on any stored value, and must not keep copies of either.
    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult
    /// The value to store for `password` (already checked against `maximumPasswordLength`),
    /// with a fresh random salt where the scheme has one; `verify` accepts every value it writes.
    func generate(password: SecretBytes, context: NewValueContext) -> Result<SecretBytes, NewPasswordHashError>
}

/// Longest password accepted: libxcrypt's `CRYPT_MAX_PASSPHRASE_SIZE` and libpam's
/// `PAM_MAX_RESP_SIZE`. Longer ones are refused before any hashing.
public let maximumPasswordLength = 512

/// Longest stored value we look at; a bigger column value is a malformed entry, not a hash.
public let maximumStoredValueLength = 4096
