/// The `crypt=` values of pam_mysql 0.8.2, with the names it accepts for each, plus our
/// `crypt=dovecot`, which has a name only: pam_mysql accepts exactly the digits 0-9.
public enum CryptMode: Int, CaseIterable, Sendable {
    case plain = 0
    case crypt = 1
    case mysql = 2
    case md5 = 3
    case sha1 = 4
    case drupal7 = 5
    case joomla15 = 6
    case ssha = 7
    case sha512 = 8
    case sha256 = 9
    /// New: Dovecot's `{SCHEME}` values (Schemes/Dovecot). The raw value is internal only.
    case dovecot = 10

    /// Whether checking a password in this mode costs about as much as one digest (microseconds):
    /// true for the plain and single-digest modes, false for crypt(3), drupal7's stretched hash
    /// and Dovecot's schemes (which include bcrypt, SHA-512-crypt and Argon2). The daemon checks
    /// these on the thread that ran the SELECT instead of handing them to a hashing thread.
    public var verifiesQuickly: Bool {
        switch self {
        case .plain, .mysql, .md5, .sha1, .joomla15, .ssha, .sha512, .sha256: true
        case .crypt, .drupal7, .dovecot: false
        }
    }

    /// The name pam_mysql accepts for the mode (`Y` is its historical name for crypt(3)).
    public var name: String {
        switch self {
        case .plain: "plain"
        case .crypt: "Y"
        case .mysql: "mysql"
        case .md5: "md5"
        case .sha1: "sha1"
        case .drupal7: "drupal7"
        case .joomla15: "joomla15"
        case .ssha: "ssha"
        case .sha512: "sha512"
        case .sha256: "sha256"
        case .dovecot: "dovecot"
        }
    }

    /// How log lines name the mode: `crypt=3 (md5)` as before, `crypt=dovecot` for the new one.
    public var label: String {
        self == .dovecot ? "crypt=dovecot" : "crypt=\(rawValue) (\(name))"
    }

    /// Parses an option value: exactly `0`…`9`, or a name compared case-insensitively.
    /// Anything else (`10`, `03`, ` 0`, empty) is nil, which the caller turns into an error.
    public init?(optionValue value: String) {
        if value.utf8.count == 1, let digit = value.utf8.first, digit >= UInt8(ascii: "0"),
            digit <= UInt8(ascii: "9")
        {
            self.init(rawValue: Int(digit - UInt8(ascii: "0")))
            return
        }
        let lowered = asciiLowercased(value)
        guard let mode = CryptMode.allCases.first(where: { asciiLowercased($0.name) == lowered }) else {
            return nil
        }
        self = mode
    }
}

/// ASCII-only lowercasing, like `strcasecmp` in the C locale.
func asciiLowercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
}
