/// The counted strings of a saslauthd request, in the order the client sends them
/// (cyrus-sasl `lib/checkpw.c`: "count authid count password count service count realm", and
/// `client` on the unreleased master branch only).
public enum SaslauthdField: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case login
    case password
    case service
    case realm
    /// Unreleased clients only (cyrus-sasl master, commit c813bf1f): `addr;port` from Postfix.
    case clientAddress = "client_addr"

    public var description: String { rawValue }
}
