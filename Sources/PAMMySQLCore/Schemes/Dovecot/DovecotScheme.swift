/// One of Dovecot's schemes as a plain record, like Dovecot's `struct password_scheme`: name,
/// default encoding, raw length (0 when it varies), the "weak" flag of Dovecot 2.4 and the rules.
struct DovecotScheme: Sendable {
    let name: String
    let defaultEncoding: DovecotEncoding
    let rawLength: Int
    let isWeak: Bool
    let rule: any DovecotRule

    init(_ name: String, _ defaultEncoding: DovecotEncoding, rawLength: Int = 0, weak: Bool = false, _ rule: any DovecotRule) {
        self.name = name
        self.defaultEncoding = defaultEncoding
        self.rawLength = rawLength
        self.isWeak = weak
        self.rule = rule
    }
}
