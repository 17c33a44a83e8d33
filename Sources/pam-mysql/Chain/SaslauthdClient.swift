import PAMMySQLCore

/// One request in saslauthd's protocol, as Cyrus SASL 2.1.28 sends it (`lib/checkpw.c`):
/// four counted strings (login, password, service, realm), then one counted reply starting
/// with `OK` or `NO`. A new connection per request, as libsasl does.
enum SaslauthdClient {
    enum Answer {
        case accepted(String)
        case refused(String)
        /// No usable reply (what libsasl turns into SASL_FAIL, Postfix into 454).
        case broken(String)
    }

    /// The login and realm Cyrus sends for `user`: split at the last `@` (`checkpw.c`).
    static func split(_ user: String) -> (login: String, realm: String) {
        guard let at = user.lastIndex(of: "@") else { return (user, "") }
        return (String(user[..<at]), String(user[user.index(after: at)...]))
    }

    static func check(socket path: String, login: String, password: SecretBytes, service: String, realm: String) -> Answer {
        let connection: UnixSocketConnection
        switch UnixSocketConnection.connect(path) {
        case .failure(let failure): return .broken("cannot connect to \(path): \(failure.message)")
        case .success(let value): connection = value
        }
        var request: [UInt8] = []
        // Reserved at once, so no reallocation leaves an unwiped copy behind.
        request.reserveCapacity(8 + login.utf8.count + password.count + service.utf8.count + realm.utf8.count)
        // The password is copied straight into the request, which is wiped after sending.
        func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
            request.append(UInt8(bytes.count >> 8 & 0xff))
            request.append(UInt8(bytes.count & 0xff))
            request.append(contentsOf: bytes)
        }
        append(Array(login.utf8))
        password.withUnsafeBytes { append($0) }
        append(Array(service.utf8))
        append(Array(realm.utf8))
        defer { for i in request.indices { request[i] = 0 } }
        guard connection.send(request) else { return .broken("the connection was closed while sending") }
        guard let count = connection.receive(exactly: 2) else { return .broken("no reply (saslauthd closed the connection)") }
        let length = Int(count[0]) << 8 | Int(count[1])
        guard length >= 2, let reply = connection.receive(exactly: length) else {
            return .broken("a reply of \(length) bytes (libsasl: \"bad response from saslauthd\")")
        }
        let text = String(decoding: reply, as: UTF8.self)
        return text.hasPrefix("OK") ? .accepted(text) : .refused(text)
    }
}
