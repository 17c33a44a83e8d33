import PAMMySQLCore

/// The values that decide whether an open connection can serve another call: a different
/// server list, SQL login, database or TLS setting needs its own connection.
package struct ConnectionIdentity {
    /// The `host` list, in the order the servers are tried (one entry without a comma).
    package let servers: [ServerAddress]
    package let user: String
    let password: SecretBytes?
    package let database: String
    let timeouts: [UInt32]
    let sslMode: SSLMode
    /// ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher.
    let tlsFiles: [String?]
    /// `ssl_auth_plugins`: what the server may ask for beyond the plugins that never reveal the
    /// password.
    let authPlugins: [AuthenticationPlugin]

    package init(_ options: ModuleOptions) {
        servers = ServerAddress.list(hostOption: options.host)
        user = options.user ?? ""
        password = options.passwd
        database = options.db ?? ""
        timeouts = [options.connectTimeout, options.readTimeout, options.writeTimeout]
        sslMode = options.effectiveSSLMode
        tlsFiles = [options.sslCA, options.sslCAPath, options.sslCert, options.sslKey, options.sslCipher]
        authPlugins = options.sslAuthPlugins
    }

    /// For log lines: the server list, never with credentials.
    package var serversDescription: String {
        servers.count == 1 ? servers[0].description : servers.map { $0.description }.joined(separator: ", ")
    }

    package func matches(_ other: ConnectionIdentity) -> Bool {
        let samePassword: Bool
        switch (password, other.password) {
        case (nil, nil): samePassword = true
        case (let a?, let b?): samePassword = a.constantTimeEquals(b)
        default: samePassword = false
        }
        return servers == other.servers && user == other.user && database == other.database
            && timeouts == other.timeouts && sslMode == other.sslMode && tlsFiles == other.tlsFiles
            && authPlugins == other.authPlugins && samePassword
    }
}
