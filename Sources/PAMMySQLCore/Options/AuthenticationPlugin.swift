/// Connector/C authentication plugins, by what they give a server that asks for them.
public enum AuthenticationPlugin: String, Sendable, Equatable, CaseIterable {
    /// A scramble of the password's hash (the server chooses the salt): never the password.
    case nativePassword = "mysql_native_password"
    /// An Ed25519 signature of the server's nonce: never the password.
    case ed25519 = "client_ed25519"
    /// MySQL 8's default: without TLS it encrypts the password to an RSA key the server
    /// itself supplies, so a rogue server reads it.
    case cachingSHA2 = "caching_sha2_password"
    /// As caching_sha2_password.
    case sha256 = "sha256_password"
    /// The password in clear (LDAP or PAM authentication on the server).
    case clearPassword = "mysql_clear_password"
    /// Answers the server's prompts with the password in clear.
    case dialog

    /// Allowed on every link.
    public static let neverRevealing: [AuthenticationPlugin] = [.nativePassword, .ed25519]

    /// The comma-separated list of `ssl_auth_plugins`; nil when a name is unknown.
    public static func list(_ value: String) -> [AuthenticationPlugin]? {
        var plugins: [AuthenticationPlugin] = []
        for part in value.split(separator: ",", omittingEmptySubsequences: true) {
            let name = String(decoding: part.utf8.filter { $0 != 32 && $0 != 9 }, as: UTF8.self)
            guard let plugin = AuthenticationPlugin(rawValue: asciiLowercased(name)) else { return nil }
            if !plugins.contains(plugin) { plugins.append(plugin) }
        }
        return plugins
    }
}
