/// saslauthd's answer: one counted string, `OK` or `NO reason`, or the empty string.
public enum SaslauthdReply: Sendable, Equatable {
    case ok
    /// `NO ` and the reason. Cyrus only tests the first two bytes; the reason reaches saslauthd's
    /// client log at most. It must never carry a secret: it is cut to printable ASCII below.
    case no(String)
    /// The empty counted string `00 00`: libsasl's "bad response from saslauthd" (count < 2)
    /// is `SASL_FAIL`, which Postfix answers with `454 4.7.0 Temporary authentication failure`
    /// (a `NO` would be 535, which fail2ban counts).
    case temporaryFailure

    /// The client's reply buffer is 1024 bytes (`checkpw.c`); longer replies are truncated.
    public static let maximumReasonLength = 1000

    /// The reply as it goes on the wire: a big-endian 16-bit count, then the bytes (no NUL).
    public var encoded: [UInt8] {
        let body: [UInt8]
        switch self {
        case .ok: body = Array("OK".utf8)
        case .no(let reason): body = Array("NO ".utf8) + Self.printable(reason)
        case .temporaryFailure: body = []
        }
        return [UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
    }

    /// Printable ASCII only (anything else becomes `?`), at most `maximumReasonLength` bytes.
    private static func printable(_ reason: String) -> [UInt8] {
        reason.utf8.prefix(maximumReasonLength).map { $0 >= 0x20 && $0 < 0x7f ? $0 : UInt8(ascii: "?") }
    }
}
