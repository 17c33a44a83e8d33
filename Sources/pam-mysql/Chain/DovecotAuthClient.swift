import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The client side of Dovecot's auth protocol as Postfix speaks it
/// (`src/xsasl/xsasl_dovecot_server.c`): VERSION and CPID, then the server's lines until
/// DONE, MECH lines before SPID; then one AUTH PLAIN with the initial response.
final class DovecotAuthClient {
    private let connection: UnixSocketConnection

    struct Handshake {
        var version: String?
        var mechanisms: [String] = []
        /// SPID arrived before any MECH: an auth-master socket ("Connected to wrong auth socket").
        var spidBeforeMechanisms = false
        var done = false
    }

    enum Answer {
        case accepted(user: String)
        case refused(reason: String)
        case broken(String)
    }

    init(connection: UnixSocketConnection) { self.connection = connection }

    /// Sends VERSION/CPID and reads until DONE; nil when the socket closes first.
    func handshake() -> Handshake? {
        guard connection.send(Array("VERSION\t1\t0\nCPID\t\(getpid())\n".utf8)) else { return nil }
        var result = Handshake()
        while let line = connection.receiveLine() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "VERSION": result.version = fields.dropFirst().joined(separator: ".")
            case "MECH": if fields.count > 1 { result.mechanisms.append(fields[1].uppercased()) }
            case "SPID": if result.mechanisms.isEmpty { result.spidBeforeMechanisms = true }
            case "DONE":
                result.done = true
                return result
            default: continue
            }
        }
        return result.version == nil ? nil : result
    }

    /// `AUTH 1 PLAIN service=S nologin lip rip secured resp=base64(\0user\0password)`, as
    /// Postfix sends it for `AUTH PLAIN <initial response>`.
    func authenticatePlain(user: String, password: SecretBytes, service: String) -> Answer {
        let response = SecretBytes([0] + Array(user.utf8) + [0]).appending(password)
        let encoded = Base64.encode(response)
        var line = Array("AUTH\t1\tPLAIN\tservice=\(service)\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tsecured\tresp=".utf8)
        line.reserveCapacity(line.count + encoded.count + 1)  // no reallocation: one copy to wipe
        encoded.withUnsafeBytes { line += $0 }
        line.append(UInt8(ascii: "\n"))
        defer { for i in line.indices { line[i] = 0 } }
        guard connection.send(line) else { return .broken("the connection was closed while sending AUTH") }
        while let reply = connection.receiveLine() {
            let fields = reply.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, fields[1] == "1" else { continue }
            let extras = Dictionary(
                fields.dropFirst(2).map { field -> (String, String) in
                    let parts = field.split(separator: "=", maxSplits: 1)
                    return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : "")
                }, uniquingKeysWith: { first, _ in first })
            switch fields[0] {
            case "OK": return .accepted(user: extras["user"] ?? "")
            case "FAIL": return .refused(reason: extras["reason"] ?? (extras["code"].map { "code=\($0)" } ?? "no reason given"))
            case "CONT": return .broken("the server asked for more (CONT) after a complete PLAIN response")
            default: continue
            }
        }
        return .broken("no reply to AUTH (Postfix: \"Connection lost to authentication server\", 454)")
    }
}
