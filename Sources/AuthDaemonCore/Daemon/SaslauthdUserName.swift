/// The user name a saslauthd request stands for. saslauthd's `-r` joins `login@realm` when the
/// realm is not empty (Cyrus splits `user@example.com` at the last `@` before sending it), and
/// that is the default here, since the table's user column holds the whole address. Without
/// it the realm is dropped, as saslauthd without `-r` does: `smtpd_sasl_local_domain` then
/// must stay empty, or every login arrives without its domain.
public enum SaslauthdUserName {
    public static func join(login: [UInt8], realm: [UInt8], joinsRealm: Bool) -> [UInt8] {
        guard joinsRealm, !realm.isEmpty else { return login }
        return login + [UInt8(ascii: "@")] + realm
    }
}
