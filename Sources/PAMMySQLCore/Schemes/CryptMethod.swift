/// The crypt(3) method for new crypt=1 passwords (option `crypt_method`, new). Without it the
/// `md5` flag decides, as in pam_mysql: MD5-crypt when true (the default), DES otherwise.
public enum CryptMethod: String, CaseIterable, Sendable {
    case yescrypt, sha512, sha256, bcrypt, md5, des

    /// The prefix `crypt_gensalt_rn` takes and the cost it is given (0: libxcrypt's default).
    var gensalt: (prefix: String, count: UInt) {
        switch self {
        case .yescrypt: ("$y$", 0)
        case .sha512: ("$6$", 0)
        case .sha256: ("$5$", 0)
        case .bcrypt: ("$2b$", 10)
        case .md5: ("$1$", 0)
        case .des: ("", 0)
        }
    }
}
