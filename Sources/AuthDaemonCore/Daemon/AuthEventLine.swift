import PAMMySQLCore

/// The one line per login outcome, in a fixed shape fail2ban can match:
///
///     auth failure: user="alice@example.com" service=smtp protocol=dovecot rip=198.51.100.7 reason="password mismatch"
///     auth success: user="alice@example.com" service=smtp protocol=saslauthd rip=-
///     auth unavailable: user="alice@example.com" service=smtp protocol=dovecot rip=- reason="database unavailable"
///
/// Only `auth failure:` lines are the user's doing (a temporary failure must not get anyone
/// banned). Every value a client chose is escaped so that it cannot end the field: the user
/// with `LogText.userName` plus `"` as `\x22`, the service and address reduced to their
/// characters or `-`. No password, no stored value, ever.
public struct AuthEventLine: Sendable {
    public enum Outcome: Sendable {
        case success
        case failure(LoginFailureReason)
        case unavailable(LoginFailureReason)
    }

    public var user: [UInt8]
    public var service: String
    public var protocolName: String
    public var remoteAddress: String?

    public init(user: [UInt8], service: String, protocolName: String, remoteAddress: String?) {
        self.user = user
        self.service = service
        self.protocolName = protocolName
        self.remoteAddress = remoteAddress
    }

    public func text(_ outcome: Outcome) -> String {
        let fields =
            "user=\"\(Self.quoted(user))\" service=\(Self.token(service)) protocol=\(protocolName) rip=\(Self.address(remoteAddress))"
        switch outcome {
        case .success: return "auth success: \(fields)"
        case .failure(let reason): return "auth failure: \(fields) reason=\"\(Self.reasonText(reason))\""
        case .unavailable(let reason): return "auth unavailable: \(fields) reason=\"\(Self.reasonText(reason))\""
        }
    }

    public func text(_ verdict: LoginVerdict) -> String {
        switch verdict {
        case .accepted: text(.success)
        case .refused(let reason): text(.failure(reason))
        case .temporaryFailure(let reason): text(.unavailable(reason))
        }
    }

    /// `LogText.userName` escapes every byte outside printable ASCII and `\`; a `"` would end
    /// the field, so it becomes `\x22` too.
    public static func quotedUser(_ user: [UInt8]) -> String { quoted(user) }

    static func quoted(_ user: [UInt8]) -> String {
        var out = ""
        for character in LogText.userName(user).unicodeScalars {
            if character == "\"" { out += "\\x22" } else { out.unicodeScalars.append(character) }
        }
        return out
    }

    static func reasonText(_ reason: LoginFailureReason) -> String {
        quoted(Array(reason.text.utf8))
    }

    /// A service name as one token: its characters if they are letters, digits, `.`, `_`, `-`,
    /// `+`, `@`, else escaped without blanks or quotes.
    static func token(_ text: String) -> String {
        guard !text.isEmpty else { return "-" }
        let allowed = text.utf8.allSatisfy { isTokenByte($0) }
        if allowed, text.utf8.count <= 64 { return text }
        return quoted(Array(text.utf8)).replacingBlanks()
    }

    /// An address as the client sent it (saslauthd's `addr;port` keeps only the address);
    /// anything but an IP literal's characters gives `-`.
    static func address(_ text: String?) -> String {
        guard var text, !text.isEmpty else { return "-" }
        if let semicolon = text.firstIndex(of: ";") { text = String(text[..<semicolon]) }
        let ipBytes = text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        return ipBytes && !text.isEmpty && text.utf8.count <= 45 ? text : "-"
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "@")].contains(byte)
    }
}

extension String {
    fileprivate func replacingBlanks() -> String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar == " " { out += "\\x20" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
