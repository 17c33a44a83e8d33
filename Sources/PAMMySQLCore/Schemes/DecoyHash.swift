/// What an unknown user's password is verified against, so that "no such user" costs what a
/// wrong password costs: the method and cost of a stored value, with a fixed salt and no hash.
///
/// It is made either from a stored value just verified (the module keeps the last one per
/// `crypt=` mode, so the decoy follows the table: a bcrypt cost 12 table gets a bcrypt cost 12
/// decoy) or from the `decoy_hash` option. It never holds a user's salt or hash: only the
/// prefix that names the method and its cost parameters, which say nothing about a password.
public struct DecoyHash: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// A crypt(3) setting: crypt=1, and Dovecot's CRYPT schemes.
        case crypt
        /// A Drupal 7 / phpass setting: crypt=5.
        case drupal
    }

    let kind: Kind
    /// The setting: method and cost, then the fixed salt (and filler where a scheme checks the
    /// length before hashing).
    let setting: [UInt8]

    /// The decoy as a stored value of `mode`, or nil when this decoy is not of that mode's kind.
    public func storedValue(for mode: CryptMode) -> SecretBytes? {
        switch (kind, mode) {
        case (.crypt, .crypt), (.drupal, .drupal7): SecretBytes(setting)
        case (.crypt, .dovecot): SecretBytes(Array("{CRYPT}".utf8) + setting)
        default: nil
        }
    }

    /// The method and cost of `stored`, a value of `mode` that has just been verified; nil
    /// for a mode or scheme whose cost does not vary (hex digests, …) or that is not covered.
    public static func derived(from stored: SecretBytes, mode: CryptMode, defaultPassScheme: String) -> DecoyHash? {
        switch mode {
        case .crypt:
            return stored.withUnsafeBytes { CryptDecoySetting.make(from: $0) }.map { DecoyHash(kind: .crypt, setting: $0) }
        case .drupal7:
            return stored.withUnsafeBytes { drupalSetting(from: $0) }.map { DecoyHash(kind: .drupal, setting: $0) }
        case .dovecot:
            guard case .success(let value) = DovecotStoredValue.parse(stored, defaultScheme: defaultPassScheme),
                value.scheme.rule is DovecotCryptVerifier || value.scheme.rule is DovecotBlowfishCryptVerifier
                    || value.scheme.rule is DovecotMD5CryptVerifier
            else { return nil }
            return value.raw.withUnsafeBytes { CryptDecoySetting.make(from: $0) }.map { DecoyHash(kind: .crypt, setting: $0) }
        default:
            return nil
        }
    }

    /// The methods `decoy_hash=` names, with the costs accepted: those whose decoy our own caps
    /// let through (yescrypt's cost 7 is the 64 MiB cap), and libxcrypt's defaults.
    public static let configurableMethods: [(method: CryptMethod, costs: ClosedRange<UInt>, defaultCost: UInt)] = [
        (.yescrypt, 1...7, 5), (.bcrypt, 4...UInt(CryptCostLimit.maximumBcryptCost), 10),
        (.sha512, 1000...UInt(CryptCostLimit.maximumSHACryptRounds), 5000),
        (.sha256, 1000...UInt(CryptCostLimit.maximumSHACryptRounds), 5000),
    ]

    /// The decoy `decoy_hash=METHOD[,COST]` names, or nil for another method or cost.
    public static func configured(_ value: String) -> DecoyHash? {
        let parts = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        guard let entry = configurableMethods.first(where: { $0.method.rawValue == asciiLowercased(String(parts[0])) }) else {
            return nil
        }
        var cost = entry.defaultCost
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.utf8.count <= 7, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let number = UInt(digits)
            else { return nil }
            cost = number
        }
        guard entry.costs.contains(cost),
            let setting = CryptFunction.generateSalt(prefix: entry.method.gensalt.prefix, count: cost, fixedBytes: fixedSaltBytes)
        else { return nil }
        // bcrypt: a whole value's length, so Dovecot's BLF-CRYPT reaches the hashing.
        let filler = entry.method == .bcrypt ? CryptDecoySetting.bcryptFiller : []
        return DecoyHash(kind: .crypt, setting: Array(setting.utf8) + filler)
    }

    /// The salt bytes of every configured decoy ("decoy-salt-bytes").
    static let fixedSaltBytes = Array("decoy-salt-bytes".utf8)

    /// `$S$C`, `$P$C`, `$H$C` (and `U` before them): kind and cost character, then a fixed
    /// salt and filler to the scheme's length.
    static func drupalSetting(from stored: UnsafeRawBufferPointer) -> [UInt8]? {
        let upgraded = stored.first == UInt8(ascii: "U")
        let start = upgraded ? 1 : 0
        guard stored.count >= start + 4, stored[start] == UInt8(ascii: "$"), stored[start + 2] == UInt8(ascii: "$"),
            [UInt8(ascii: "S"), UInt8(ascii: "P"), UInt8(ascii: "H")].contains(stored[start + 1]),
            CryptAlphabet.itoa64.contains(stored[start + 3])
        else { return nil }
        let length = stored[start + 1] == UInt8(ascii: "S") ? DrupalScheme.hashLength : 34
        let head = Array(stored[0..<(start + 4)]) + Array("decoysal".utf8)
        return head + [UInt8](repeating: UInt8(ascii: "0"), count: start + length - head.count)
    }
}
