/// Everything a generator may need besides the new password: the options that choose what
/// `pam_sm_chauthtok` writes.
public struct NewValueContext: Sendable {
    /// `crypt_method`: the crypt(3) method for crypt=1 (nil: the `md5` flag decides) and for
    /// crypt=dovecot (nil: SHA512-CRYPT).
    public var cryptMethod: CryptMethod?
    /// `md5`: without `crypt_method`, crypt=1 writes MD5-crypt when true, DES otherwise.
    public var md5: Bool
    /// `use_323_passwd`: crypt=2 writes MySQL's pre-4.1 `OLD_PASSWORD()`.
    public var useMySQL323: Bool

    public init(cryptMethod: CryptMethod? = nil, md5: Bool = true, useMySQL323: Bool = false) {
        self.cryptMethod = cryptMethod
        self.md5 = md5
        self.useMySQL323 = useMySQL323
    }
}
