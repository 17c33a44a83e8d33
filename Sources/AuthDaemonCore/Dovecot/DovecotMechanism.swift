/// The SASL mechanisms the daemon offers on Dovecot's protocol. Both carry the password in the
/// clear, so both are flagged `plaintext`: Postfix's `smtpd_sasl_security_options = noplaintext`
/// then hides them from clients as administrators expect.
public enum DovecotMechanism: String, Sendable, Equatable, CaseIterable {
    /// RFC 4616: `authzid NUL authcid NUL password` (Dovecot `mech-plain.c`).
    case plain = "PLAIN"
    /// The two-prompt draft mechanism (Dovecot `mech-login.c`).
    case login = "LOGIN"

    public var isPlaintext: Bool { true }

    /// The `MECH` handshake line (without its LF).
    var handshakeLine: String {
        isPlaintext ? "MECH\t\(rawValue)\tplaintext" : "MECH\t\(rawValue)"
    }

    /// Dovecot upper-cases the requested name before looking it up (`mech_module_find`).
    init?(requested name: [UInt8]) {
        let upper = name.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 }
        guard let mechanism = DovecotMechanism.allCases.first(where: { Array($0.rawValue.utf8) == upper }) else { return nil }
        self = mechanism
    }
}
