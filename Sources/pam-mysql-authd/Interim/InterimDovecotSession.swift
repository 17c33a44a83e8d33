import AuthDaemonCore
import PAMMySQLCore

/// The server side of Dovecot's auth protocol for one connection, as Postfix's
/// `xsasl_dovecot_server.c` and `doveadm auth test` use it: the handshake (MECH before SPID),
/// AUTH with PLAIN and LOGIN, CONT, several requests in flight, replies as they complete.
/// No I/O: lines in, steps out.
///
/// Interim: the proto branch's `DovecotAuthSession` replaces this file.
final class InterimDovecotSession {
    /// What the connection must do next.
    enum Step {
        case send([UInt8])
        case verify(id: String, user: [UInt8], password: SecretBytes, service: String, remoteAddress: String?)
        case close(String)
    }

    /// Requests of one connection not yet answered (Postfix has one at a time).
    static let maximumInFlight = 16
    /// A request waiting for the client's CONT this long is dropped (Postfix never CANCELs).
    static let continuationTimeoutSeconds: Int64 = 60

    private enum Waiting {
        case plainResponse
        case loginUser
        case loginPassword(user: [UInt8])
        case verification(user: [UInt8])
    }

    private struct Pending {
        var waiting: Waiting
        let service: String
        let remoteAddress: String?
        var since: Int64
    }

    private var versionReceived = false
    private var pending: [String: Pending] = [:]

    static func greeting(processID: Int32, connectionID: UInt64, cookie: String) -> [[UInt8]] {
        [
            "VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext", "SPID\t\(processID)", "CUID\t\(connectionID)",
            "COOKIE\t\(cookie)", "DONE",
        ].map { Array($0.utf8) }
    }

    func receive(_ line: [UInt8], now: Int64) -> [Step] {
        let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(Array.init)
        guard let command = fields.first.map({ String(decoding: $0, as: UTF8.self) }) else { return [] }
        switch command {
        case "VERSION":
            guard fields.count >= 2, fields[1] == Array("1".utf8) else { return [.close("unsupported protocol version")] }
            versionReceived = true
            return []
        case "CPID":
            return []
        case "AUTH":
            guard versionReceived else { return [.close("AUTH before VERSION")] }
            return auth(fields, now: now)
        case "CONT":
            guard versionReceived else { return [.close("CONT before VERSION")] }
            return cont(fields, now: now)
        case "CANCEL":
            if fields.count >= 2 { pending[String(decoding: fields[1], as: UTF8.self)] = nil }
            return []
        default:
            return [.close("unknown command \"\(LogText.escaped(command, limit: 32))\"")]
        }
    }

    /// The verdict for request `id`: OK, FAIL, or (temporary failure) closing the connection,
    /// which Postfix answers with 454 ("Connection lost to authentication server").
    func complete(id: String, verdict: LoginVerdict) -> [Step] {
        guard let request = pending.removeValue(forKey: id), case .verification(let user) = request.waiting else { return [] }
        switch verdict {
        case .accepted(let canonical): return [.send(Array("OK\t\(id)\tuser=".utf8) + canonical)]
        case .refused: return [.send(Array("FAIL\t\(id)\tuser=".utf8) + user)]
        case .temporaryFailure(let reason): return [.close("temporary failure (\(reason.text))")]
        }
    }

    /// Drops requests whose client never sent the continuation.
    func expire(now: Int64) -> Int {
        let before = pending.count
        pending = pending.filter { entry in
            if case .verification = entry.value.waiting { return true }
            return now - entry.value.since < Self.continuationTimeoutSeconds
        }
        return before - pending.count
    }

    var inFlight: Int { pending.count }

    // MARK: requests

    private func auth(_ fields: [[UInt8]], now: Int64) -> [Step] {
        guard fields.count >= 3 else { return [.close("AUTH without id or mechanism")] }
        let id = String(decoding: fields[1], as: UTF8.self)
        guard !id.isEmpty, id.utf8.count <= 10, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return [.close("AUTH with an invalid id")]
        }
        guard pending[id] == nil else { return [.close("AUTH reuses the id of a pending request")] }
        guard pending.count < Self.maximumInFlight else { return [fail(id, "too many requests in flight")] }
        let mechanism = String(decoding: fields[2], as: UTF8.self).uppercased()
        var service: String?
        var remoteAddress: String?
        var response: [UInt8]?
        for field in fields.dropFirst(3) {
            if let value = Self.value(field, "service") {
                service = String(decoding: value, as: UTF8.self)
            } else if let value = Self.value(field, "protocol"), service == nil {
                service = String(decoding: value, as: UTF8.self)
            } else if let value = Self.value(field, "rip") {
                remoteAddress = String(decoding: value, as: UTF8.self)
            } else if let value = Self.value(field, "resp") {
                response = value
            }
        }
        guard let service, !service.isEmpty else { return [fail(id, "service not given")] }
        guard mechanism == "PLAIN" || mechanism == "LOGIN" else { return [fail(id, "Unsupported authentication mechanism")] }
        var request = Pending(
            waiting: mechanism == "PLAIN" ? .plainResponse : .loginUser, service: service, remoteAddress: remoteAddress, since: now)
        guard let response else {
            pending[id] = request
            return [.send(Array("CONT\t\(id)\t\(mechanism == "PLAIN" ? "" : "VXNlcm5hbWU6")".utf8))]
        }
        return step(id, &request, data: response)
    }

    private func cont(_ fields: [[UInt8]], now: Int64) -> [Step] {
        guard fields.count >= 2 else { return [.close("CONT without id")] }
        let id = String(decoding: fields[1], as: UTF8.self)
        guard var request = pending[id] else { return [] }
        if case .verification = request.waiting { return [.close("CONT for a request being verified")] }
        request.since = now
        return step(id, &request, data: fields.count >= 3 ? fields[2] : [])
    }

    /// One client message for request `id` (base64, `=` or empty for zero bytes).
    private func step(_ id: String, _ request: inout Pending, data: [UInt8]) -> [Step] {
        let decoded: SecretBytes
        if data.isEmpty || data == [UInt8(ascii: "=")] {
            decoded = SecretBytes([])
        } else if let bytes = Base64.decode(SecretBytes(data)) {
            decoded = bytes
        } else {
            pending[id] = nil
            return [fail(id, "Invalid base64 data in continued response")]
        }
        switch request.waiting {
        case .plainResponse:
            let parts = Self.splitPlain(decoded)
            guard let parts else {
                pending[id] = nil
                return [fail(id, "Invalid PLAIN response")]
            }
            guard parts.authzid.isEmpty || parts.authzid == parts.user else {
                pending[id] = nil
                return [fail(id, "Authorization as another user is not supported")]
            }
            return verify(id, &request, user: parts.user, password: parts.password)
        case .loginUser:
            let user = decoded.withUnsafeBytes { Array($0) }
            request.waiting = .loginPassword(user: user)
            pending[id] = request
            return [.send(Array("CONT\t\(id)\tUGFzc3dvcmQ6".utf8))]
        case .loginPassword(let user):
            return verify(id, &request, user: user, password: decoded)
        case .verification:
            return []
        }
    }

    private func verify(_ id: String, _ request: inout Pending, user: [UInt8], password: SecretBytes) -> [Step] {
        guard Self.isAcceptableUserName(user) else {
            pending[id] = nil
            return [fail(id, "Invalid user name")]
        }
        request.waiting = .verification(user: user)
        pending[id] = request
        return [.verify(id: id, user: user, password: password, service: request.service, remoteAddress: request.remoteAddress)]
    }

    private func fail(_ id: String, _ reason: String) -> Step {
        .send(Array("FAIL\t\(id)\treason=\(reason)".utf8))
    }

    /// Not empty, and nothing Postfix would copy into its line unescaped (TAB, CR, LF, NUL,
    /// Dovecot's escape byte 001).
    static func isAcceptableUserName(_ user: [UInt8]) -> Bool {
        !user.isEmpty && user.count <= 256 && !user.contains(where: { $0 < 0x20 || $0 == 0x7f })
    }

    /// `authzid NUL authcid NUL password`, exactly two NULs.
    static func splitPlain(_ data: SecretBytes) -> (authzid: [UInt8], user: [UInt8], password: SecretBytes)? {
        data.withUnsafeBytes { bytes -> (authzid: [UInt8], user: [UInt8], password: SecretBytes)? in
            let nuls = bytes.indices.filter { bytes[$0] == 0 }
            guard nuls.count == 2 else { return nil }
            let authzid = Array(bytes[0..<nuls[0]])
            let user = Array(bytes[(nuls[0] + 1)..<nuls[1]])
            let password = SecretBytes(bytes[(nuls[1] + 1)...])
            return (authzid, user, password)
        }
    }

    private static func value(_ field: [UInt8], _ name: String) -> [UInt8]? {
        let prefix = Array("\(name)=".utf8)
        guard field.count >= prefix.count, Array(field[..<prefix.count]) == prefix else { return nil }
        return Array(field[prefix.count...])
    }
}
