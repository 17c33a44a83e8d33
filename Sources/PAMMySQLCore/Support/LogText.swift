/// Makes untrusted text safe for one syslog line: printable ASCII stays, every other byte
/// becomes `\xNN`, and long values are cut (a user name can be anything the client typed).
public enum LogText {
    public static let defaultLimit = 128

    public static func escaped<C: Collection>(bytes: C, limit: Int = defaultLimit) -> String where C.Element == UInt8 {
        var out = ""
        var shown = 0
        for byte in bytes {
            if shown == limit {
                out += "...(\(bytes.count) bytes)"
                break
            }
            if byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789abcdef".unicodeScalars)
                out += "\\x"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 15)])
            }
            shown += 1
        }
        return out
    }

    public static func escaped(_ text: String, limit: Int = defaultLimit) -> String {
        escaped(bytes: Array(text.utf8), limit: limit)
    }

    /// For non-secret option values and names that arrived as bytes.
    public static func escaped(_ value: SecretBytes, limit: Int = defaultLimit) -> String {
        value.withUnsafeBytes { escaped(bytes: $0, limit: limit) }
    }
}
