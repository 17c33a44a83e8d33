/// The registry of Dovecot 2.3's schemes (every name `doveadm pw -l` lists on Debian 12),
/// immutable: Dovecot's own registry is a global hash table filled at start-up, ours is a
/// constant. Names are matched case-insensitively, as Dovecot's `strcasecmp` table does.
public enum DovecotSchemes {
    static let all: [DovecotScheme] = [
        DovecotScheme("PLAIN", .none, DovecotPlainVerifier()),
        DovecotScheme("CLEAR", .none, DovecotPlainVerifier()),
        DovecotScheme("CLEARTEXT", .none, DovecotPlainVerifier()),
        DovecotScheme("PLAIN-TRUNC", .none, DovecotPlainTruncVerifier()),
        DovecotScheme("CRYPT", .none, DovecotCryptVerifier(.yescrypt)),
        DovecotScheme("DES-CRYPT", .none, weak: true, DovecotCryptVerifier(.des)),
        DovecotScheme("SHA256-CRYPT", .none, DovecotCryptVerifier(.sha256)),
        DovecotScheme("SHA512-CRYPT", .none, DovecotCryptVerifier(.sha512)),
        DovecotScheme("BLF-CRYPT", .none, DovecotBlowfishCryptVerifier()),
        DovecotScheme("MD5-CRYPT", .none, weak: true, DovecotMD5CryptVerifier()),
        DovecotScheme("MD5", .none, weak: true, DovecotMD5Verifier()),
        DovecotScheme("PLAIN-MD5", .hex, rawLength: 16, weak: true, DovecotDigestVerifier(.md5)),
        DovecotScheme("LDAP-MD5", .base64, rawLength: 16, weak: true, DovecotDigestVerifier(.md5)),
        DovecotScheme("PLAIN-MD4", .hex, rawLength: 16, weak: true, DovecotDigestVerifier(.md4)),
        DovecotScheme("SHA", .base64, rawLength: 20, DovecotDigestVerifier(.sha1)),
        DovecotScheme("SHA1", .base64, rawLength: 20, DovecotDigestVerifier(.sha1)),
        DovecotScheme("SHA256", .base64, rawLength: 32, DovecotDigestVerifier(.sha256)),
        DovecotScheme("SHA512", .base64, rawLength: 64, DovecotDigestVerifier(.sha512)),
        DovecotScheme("SMD5", .base64, weak: true, DovecotSaltedDigestVerifier(.md5)),
        DovecotScheme("SSHA", .base64, DovecotSaltedDigestVerifier(.sha1)),
        DovecotScheme("SSHA256", .base64, DovecotSaltedDigestVerifier(.sha256)),
        DovecotScheme("SSHA512", .base64, DovecotSaltedDigestVerifier(.sha512)),
        DovecotScheme("CRAM-MD5", .hex, rawLength: 32, DovecotCRAMMD5Verifier()),
        DovecotScheme("HMAC-MD5", .hex, rawLength: 32, weak: true, DovecotCRAMMD5Verifier()),
        DovecotScheme("DIGEST-MD5", .hex, rawLength: 16, DovecotDigestMD5Verifier()),
        DovecotScheme("SCRAM-SHA-1", .none, DovecotSCRAMVerifier(.sha1)),
        DovecotScheme("SCRAM-SHA-256", .none, DovecotSCRAMVerifier(.sha256)),
        DovecotScheme("PBKDF2", .none, DovecotPBKDF2Verifier()),
        DovecotScheme("ARGON2I", .none, DovecotArgon2Verifier(.argon2i)),
        DovecotScheme("ARGON2ID", .none, DovecotArgon2Verifier(.argon2id)),
        DovecotScheme("OTP", .none, DovecotOTPVerifier()),
    ]

    /// Every scheme name, in the order above (documentation and tests).
    public static var names: [String] { all.map(\.name) }

    /// The scheme called `name` (any case), or nil.
    static func named(_ name: String) -> DovecotScheme? {
        let upper = asciiUppercased(name)
        return all.first { $0.name == upper }
    }

    /// A scheme name as Dovecot writes it in a prefix or a setting: the name (any case),
    /// optionally with `.b64`, `.base64` or `.hex` after the first dot, which forces that
    /// encoding. Nil for an unknown name or suffix. The one parser of this rule: stored values,
    /// `default_pass_scheme` and new values all go through it.
    static func lookup(_ name: String) -> (scheme: DovecotScheme, encoding: DovecotEncoding?)? {
        let parts = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let scheme = named(parts[0]) else { return nil }
        guard parts.count == 2 else { return (scheme, nil) }
        switch asciiUppercased(parts[1]) {
        case "B64", "BASE64": return (scheme, .base64)
        case "HEX": return (scheme, .hex)
        default: return nil
        }
    }

    /// True when `name` (with or without suffix) is a scheme; for checking
    /// `default_pass_scheme` when the option is read.
    public static func isKnown(_ name: String) -> Bool { lookup(name) != nil }

    /// True when Dovecot 2.4 refuses the scheme (with or without suffix) without
    /// `auth_allow_weak_schemes`.
    public static func isWeak(_ name: String) -> Bool { lookup(name)?.scheme.isWeak ?? false }
}

/// ASCII-only uppercasing, like `strcasecmp` in the C locale.
func asciiUppercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
}
