/// What a stored value looks like, guessed from its shape alone: for `pam-mysql check` and
/// `pam-mysql hash --verify`, when a value does not verify under the configured `crypt=`.
///
/// The guess names a format and the setting that verifies it; it never contains any byte of
/// the value except a known Dovecot scheme name (a `{SCHEME}` prefix is not secret). Some shapes
/// are ambiguous (32 hex digits are an MD5 digest or a plain password that happens to look like
/// one): the guess says so, it does not decide.
public struct StoredValueShape: Equatable, Sendable {
    /// The format in words, e.g. "SHA-512-crypt ($6$)".
    public let format: String
    /// The setting that verifies it, e.g. "crypt=1", or nil when no mode of the module does.
    public let setting: String?
    /// The mode that setting names, to tell whether the guess agrees with the configured one.
    public let mode: CryptMode?
    /// False for shapes a plain password may well have (13 letters and digits are DES-crypt's
    /// shape, base64-like text SSHA's): worth a word when a value fails, not when it is accepted.
    public let isDistinctive: Bool

    public init(format: String, setting: String?, mode: CryptMode?, isDistinctive: Bool = true) {
        self.format = format
        self.setting = setting
        self.mode = mode
        self.isDistinctive = isDistinctive
    }

    /// The sentence for a value that does not verify under `configured`: what it looks like and
    /// what to set; nil when the shape is unknown or agrees with `configured` (then the value
    /// is of the right kind and the password is what differs).
    public func hint(configured: CryptMode) -> String? {
        guard mode != configured else { return nil }
        guard let setting else { return "looks like \(format), which no crypt= mode verifies" }
        return "looks like \(format): use \(setting)"
    }

    /// Guesses the format of `stored`; nil for a shape no rule knows (plain text, most likely).
    public static func guess(_ stored: SecretBytes) -> StoredValueShape? {
        stored.withUnsafeBytes { guess(bytes: $0) }
    }

    static func guess(bytes: UnsafeRawBufferPointer) -> StoredValueShape? {
        let count = bytes.count
        guard count > 0 else { return nil }
        func starts(_ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            guard count >= p.count else { return false }
            for i in 0..<p.count where bytes[i] != p[i] { return false }
            return true
        }
        func all(_ range: Range<Int>, _ test: (UInt8) -> Bool) -> Bool {
            for i in range where !test(bytes[i]) { return false }
            return true
        }
        let crypt = { (name: String, distinctive: Bool) in
            StoredValueShape(format: name, setting: "crypt=1", mode: .crypt, isDistinctive: distinctive)
        }
        // crypt(3) methods, by their libxcrypt prefixes (crypt(5)).
        let cryptPrefixes: [(String, String)] = [
            ("$6$", "SHA-512-crypt ($6$)"), ("$5$", "SHA-256-crypt ($5$)"), ("$1$", "MD5-crypt ($1$)"),
            ("$2y$", "bcrypt ($2y$)"), ("$2b$", "bcrypt ($2b$)"), ("$2a$", "bcrypt ($2a$)"), ("$y$", "yescrypt ($y$)"),
            ("$gy$", "gost-yescrypt ($gy$)"), ("$7$", "scrypt ($7$)"), ("$sha1$", "SHA-1-crypt ($sha1$)"),
        ]
        for (prefix, name) in cryptPrefixes where starts(prefix) { return crypt(name, true) }
        if starts("$argon2id$") || starts("$argon2i$") {
            let name = starts("$argon2id$") ? "ARGON2ID" : "ARGON2I"
            return StoredValueShape(
                format: "Argon2 (\(name.lowercased()))",
                setting: "crypt=dovecot with the {\(name)} prefix (or default_pass_scheme=\(name))",
                mode: .dovecot)
        }
        if starts("$S$") { return StoredValueShape(format: "Drupal 7 ($S$)", setting: "crypt=5", mode: .drupal7) }
        if starts("$P$") || starts("$H$") { return StoredValueShape(format: "phpass (WordPress, $P$)", setting: nil, mode: nil) }
        if bytes[0] == UInt8(ascii: "{"), let close = (1..<min(count, 40)).first(where: { bytes[$0] == UInt8(ascii: "}") }) {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[1..<close]), as: UTF8.self)
            guard DovecotSchemes.isKnown(name) else {
                return StoredValueShape(format: "a {SCHEME} prefix of no scheme Dovecot knows", setting: nil, mode: nil)
            }
            return StoredValueShape(format: "Dovecot's {\(name.uppercased())}", setting: "crypt=dovecot", mode: .dovecot)
        }
        let isHex = { (b: UInt8) in (b >= 48 && b <= 57) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70) }
        if count == 41, bytes[0] == UInt8(ascii: "*"), all(1..<41, isHex) {
            return StoredValueShape(format: "MySQL's PASSWORD() (*HEX41)", setting: "crypt=2", mode: .mysql)
        }
        if count >= 34, bytes[32] == UInt8(ascii: ":"), all(0..<32, isHex) {
            return StoredValueShape(format: "Joomla 1.5 (md5:salt)", setting: "crypt=6", mode: .joomla15)
        }
        if all(0..<count, isHex) {
            switch count {
            case 16:
                return StoredValueShape(format: "MySQL's OLD_PASSWORD() (16 hex)", setting: "crypt=2 with use_323_passwd", mode: .mysql)
            case 32: return StoredValueShape(format: "an MD5 digest (32 hex) or a plain password", setting: "crypt=3", mode: .md5)
            case 40: return StoredValueShape(format: "a SHA-1 digest (40 hex)", setting: "crypt=4", mode: .sha1)
            case 64: return StoredValueShape(format: "a SHA-256 digest (64 hex)", setting: "crypt=9", mode: .sha256)
            case 128: return StoredValueShape(format: "a SHA-512 digest (128 hex)", setting: "crypt=8", mode: .sha512)
            default: break
            }
        }
        let isCryptAlphabet = { (b: UInt8) in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 46 || b == 47
        }
        if count == 13, all(0..<13, isCryptAlphabet) { return crypt("DES-crypt (13 characters)", false) }
        if count == 20, bytes[0] == UInt8(ascii: "_"), all(1..<20, isCryptAlphabet) { return crypt("BSDi extended DES-crypt (_)", false) }
        // SSHA: base64 of a 20-byte SHA-1 digest and a salt of 4 bytes or more (crypt=7).
        let isBase64 = { (b: UInt8) in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 43 || b == 47 || b == 61
        }
        // Random bytes in base64 have upper and lower case letters and digits.
        if count >= 32, count % 4 == 0, all(0..<count, isBase64),
            !all(0..<count, { !($0 >= 65 && $0 <= 90) }), !all(0..<count, { !($0 >= 97 && $0 <= 122) }),
            !all(0..<count, { !($0 >= 48 && $0 <= 57) })
        {
            return StoredValueShape(format: "base64 of a salted SHA-1 (SSHA)", setting: "crypt=7", mode: .ssha, isDistinctive: false)
        }
        return nil
    }
}
