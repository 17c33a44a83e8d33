/// One row of `OptionTable`: where the option can be set, what it holds, and whether the value is a
/// secret (never echoed, even with `verbose`).
///
/// Each field is set by a small non-capturing closure rather than a key path: a key path is
/// instantiated by the Swift runtime at first use (demangling its generic arguments), which
/// cost 0.7 M instructions in every process that authenticates once (`pamtester`, `su`).
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        case text(@Sendable (inout ModuleOptions, String) -> Void)
        case secret(@Sendable (inout ModuleOptions, SecretBytes) -> Void)
        case flag(@Sendable (inout ModuleOptions, Bool) -> Void)
        case seconds(@Sendable (inout ModuleOptions, UInt32) -> Void)
        /// Whole seconds from 0 (off) to a day: `verify_cache`.
        case cacheSeconds(@Sendable (inout ModuleOptions, UInt32) -> Void)
        case crypt
        case cryptMethod
        case decoyHash
        case dovecotScheme
        case query
        case sslMode
        case authPlugins
    }

    /// Name on a pam.d line, or nil when the option exists only in the config file.
    public let argumentName: String?
    /// Key in the config file, or nil when the option cannot be set there.
    public let configKey: String?
    public let kind: Kind
    /// Losing this option (a misspelt name that is ignored) would admit logins it refuses, or
    /// drop TLS: an unknown name close to it fails closed (`MisspeltRestriction`).
    public let isRestriction: Bool

    init(argumentName: String?, configKey: String?, kind: Kind, isRestriction: Bool = false) {
        self.argumentName = argumentName
        self.configKey = configKey
        self.kind = kind
        self.isRestriction = isRestriction
    }

    public var isSecret: Bool {
        if case .secret = kind { return true }
        return false
    }

    /// Every kind but a flag needs `name=value`; a bare `passwd` is a mistake, not an empty value.
    public var takesValue: Bool {
        if case .flag = kind { return false }
        return true
    }
}

extension OptionSpec {
    /// Stores `value` into `options`. `origin` says where it came from, for error messages (built
    /// only for one: this runs for every argument of every PAM call).
    public func apply(_ value: SecretBytes, to options: inout ModuleOptions, origin: @autoclosure () -> String) throws(OptionError) {
        let text = { value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        switch kind {
        case .text(let set): set(&options, text())
        case .secret(let set): set(&options, value)
        case .flag(let set): set(&options, OptionTable.isTrue(text()))
        case .crypt:
            guard let mode = CryptMode(optionValue: text()) else { throw .invalidCrypt(origin: origin()) }
            options.crypt = mode
        case .cryptMethod:
            guard let method = CryptMethod(rawValue: asciiLowercased(text())) else { throw .invalidCryptMethod(origin: origin()) }
            options.cryptMethod = method
        case .decoyHash:
            guard let decoy = DecoyHash.configured(text()) else { throw .invalidDecoyHash(origin: origin()) }
            options.decoyHash = decoy
        case .dovecotScheme:
            // Checked now, so a typo fails the line instead of every login; suffixes allowed.
            let name = text()
            guard DovecotSchemes.isKnown(name) else { throw .invalidDefaultPassScheme(origin: origin()) }
            options.defaultPassScheme = name
        case .query:
            switch DovecotQuery.parse(text()) {
            case .success(let query): options.query = query
            case .failure(let error): throw .invalidQuery(reason: error.reason, origin: origin())
            }
        case .sslMode:
            guard let mode = SSLMode(optionValue: text()) else { throw .invalidSSLMode(origin: origin()) }
            options.sslMode = mode
        case .authPlugins:
            guard let plugins = AuthenticationPlugin.list(text()) else { throw .invalidAuthPlugins(origin: origin()) }
            options.sslAuthPlugins = plugins
        case .seconds(let set):
            let digits = text()
            guard !digits.isEmpty, digits.utf8.count <= 4, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let seconds = UInt32(digits), (1...3600).contains(seconds)
            else { throw .invalidTimeout(option: argumentName ?? configKey ?? "timeout", origin: origin()) }
            set(&options, seconds)
        case .cacheSeconds(let set):
            let digits = text()
            guard !digits.isEmpty, digits.utf8.count <= 5, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let seconds = UInt32(digits), seconds <= ModuleOptions.maximumVerifyCacheSeconds
            else { throw .invalidCacheSeconds(option: argumentName ?? configKey ?? "verify_cache", origin: origin()) }
            set(&options, seconds)
        }
    }

    /// The verbose trace line for a value just set; secrets are never echoed.
    public func traceLine(name: String, value: SecretBytes) -> String {
        if isSecret { return "option \(name) is set (value not logged)" }
        return "option \(name) is set to \"\(LogText.escaped(value))\""
    }
}
