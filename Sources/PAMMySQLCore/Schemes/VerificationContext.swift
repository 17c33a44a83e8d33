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
