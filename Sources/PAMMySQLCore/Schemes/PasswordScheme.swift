/// Everything a verifier may need besides the two secrets.
public struct VerificationContext: Sendable {
    /// `use_323_passwd`: crypt=2 uses MySQL's pre-4.1 `OLD_PASSWORD()`.
    public var useMySQL323: Bool
    /// The PAM user's exact bytes, for schemes that mix it in (Dovecot's DIGEST-MD5).
    public var userName: [UInt8]
    /// crypt=dovecot: the scheme of values without a `{SCHEME}` prefix (`default_pass_scheme`).
    public var defaultPassScheme: String
    /// crypt=dovecot: accept the schemes Dovecot 2.4 calls weak (`allow_weak_schemes`).
    public var allowWeakSchemes: Bool

    public init(
        useMySQL323: Bool = false, userName: [UInt8] = [], defaultPassScheme: String = ModuleOptions.defaultPassSchemeDefault,
        allowWeakSchemes: Bool = false
    ) {
        self.useMySQL323 = useMySQL323
        self.userName = userName
        self.defaultPassScheme = defaultPassScheme
        self.allowWeakSchemes = allowWeakSchemes
    }
}

/// One way of checking a typed password against the value stored in the database.
///
/// A scheme is a plain record plus a verify function, as in Dovecot's password schemes: adding
/// a scheme (Dovecot's `{SCHEME}` forms) means adding a type and registering it in
/// `PasswordSchemes`, not touching the flows.
public protocol PasswordScheme: Sendable {
    /// The name used in log lines ("md5", "drupal7", …).
    var name: String { get }
    /// Compares `password` with `stored`. Must run in time independent of where they differ,
    /// must not trap on any stored value, and must not keep copies of either.
    func verify(password: SecretBytes, stored: SecretBytes, context: VerificationContext) -> VerificationResult
}

/// Longest password accepted: libxcrypt's `CRYPT_MAX_PASSPHRASE_SIZE` and libpam's
/// `PAM_MAX_RESP_SIZE`. Longer ones are refused before any hashing.
public let maximumPasswordLength = 512

/// Longest stored value we look at; a bigger column value is a malformed entry, not a hash.
public let maximumStoredValueLength = 4096

/// The verifier registry: pam_mysql's numbered modes and `crypt=dovecot`.
public enum PasswordSchemes {
    public static func scheme(for mode: CryptMode) -> any PasswordScheme {
        switch mode {
        case .plain: PlainScheme()
        case .crypt: CryptScheme()
        case .mysql: MySQLPasswordScheme()
        case .md5: HexDigestScheme(name: "md5", algorithm: .md5)
        case .sha1: HexDigestScheme(name: "sha1", algorithm: .sha1)
        case .drupal7: DrupalScheme()
        case .joomla15: JoomlaScheme()
        case .ssha: SSHAScheme()
        case .sha512: HexDigestScheme(name: "sha512", algorithm: .sha512)
        case .sha256: HexDigestScheme(name: "sha256", algorithm: .sha256)
        case .dovecot: DovecotPasswordScheme()
        }
    }

    /// A valid stored value of `mode` for a password nobody knows. Verifying against it when the
    /// user does not exist makes "unknown user" cost as much as "wrong password", so response
    /// times do not tell which user names exist (OpenSSH's fake password does the same).
    public static func decoyStoredValue(for mode: CryptMode) -> SecretBytes {
        let value: String =
            switch mode {
            case .plain: "decoy-password-not-used"
            case .crypt: "$6$decoysaltdecoy$QcezYuN.ZCxTRnZaUk8dZflh/DUUiUlyhOISyoN8UrH5DVhBL3DPLlj/IsKhKxmmR.fihhNrFFznJFwrIsEpm1"
            case .mysql: "*0000000000000000000000000000000000000000"
            case .md5: "00000000000000000000000000000000"
            case .sha1: "0000000000000000000000000000000000000000"
            case .drupal7: "$S$Ddecoysal" + String(repeating: "0", count: 43)
            case .joomla15: "00000000000000000000000000000000:decoysaltdecoysaltdecoysaltdecoy"
            case .ssha: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            case .sha512: String(repeating: "0", count: 128)
            case .sha256: String(repeating: "0", count: 64)
            // The crypt=1 decoy under a prefix: a real SHA-512-crypt run, never refused as weak.
            case .dovecot: "{SHA512-CRYPT}$6$decoysaltdecoy$QcezYuN.ZCxTRnZaUk8dZflh/DUUiUlyhOISyoN8UrH5DVhBL3DPLlj/IsKhKxmmR.fihhNrFFznJFwrIsEpm1"
            }
        return SecretBytes(Array(value.utf8))
    }

    /// Verifies with the length limit every mode shares applied first.
    public static func verify(
        mode: CryptMode, password: SecretBytes, stored: SecretBytes, context: VerificationContext
    ) -> VerificationResult {
        guard stored.count <= maximumStoredValueLength else {
            return .malformed("stored value is \(stored.count) bytes, more than \(maximumStoredValueLength)")
        }
        return scheme(for: mode).verify(password: password, stored: stored, context: context)
    }
}
