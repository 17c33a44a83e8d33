/// The server's lines, encoded in one place: what Postfix's `xsasl_dovecot_handle_reply` reads.
enum DovecotReply {
    /// `OK\t<id>\tuser=<user>`: Postfix requires `user=`.
    case ok(id: UInt32, user: [UInt8])
    /// `CONT\t<id>\t<base64>`: the third field is always there, empty for an empty challenge.
    case cont(id: UInt32, challenge: [UInt8])
    /// `FAIL\t<id>[\tcode=<code>][\tuser=<user>][\treason=<reason>]`.
    case fail(id: UInt32, code: String? = nil, user: [UInt8]? = nil, reason: String? = nil)

    /// "Username:" and "Password:" in base64, the LOGIN mechanism's prompts.
    static let loginUserPrompt = Array("VXNlcm5hbWU6".utf8)
    static let loginPasswordPrompt = Array("UGFzc3dvcmQ6".utf8)

    var encoded: [UInt8] {
        var line: [UInt8]
        switch self {
        case .ok(let id, let user):
            line = Array("OK\t\(id)\tuser=".utf8) + DovecotTabEscape.escaped(user)
        case .cont(let id, let challenge):
            line = Array("CONT\t\(id)\t".utf8) + challenge
        case .fail(let id, let code, let user, let reason):
            line = Array("FAIL\t\(id)".utf8)
            if let code { line += Array("\tcode=".utf8) + DovecotTabEscape.escaped(code.utf8) }
            if let user { line += Array("\tuser=".utf8) + DovecotTabEscape.escaped(user) }
            if let reason, !reason.isEmpty { line += Array("\treason=".utf8) + DovecotTabEscape.escaped(reason.utf8) }
        }
        line.append(0x0a)
        return line
    }
}
