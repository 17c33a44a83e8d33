/// Makes untrusted text safe for one syslog line: printable ASCII stays, every other byte
/// becomes `\xNN`, and long values are cut (a user name can be anything the client typed).
public enum LogText {
    public static let defaultLimit = 128
    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

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
                out += "\\x"
                out.unicodeScalars.append(hexDigits[Int(byte >> 4)])
                out.unicodeScalars.append(hexDigits[Int(byte & 15)])
            }
            shown += 1
        }
        return out
    }

    /// A user name as every log line shows it: escaped and cut at 64 bytes.
    public static func userName(_ user: [UInt8]) -> String {
        escaped(bytes: user, limit: 64)
    }

    public static func escaped(_ text: String, limit: Int = defaultLimit) -> String {
        escaped(bytes: Array(text.utf8), limit: limit)
    }

    /// For non-secret option values and names that arrived as bytes.
    public static func escaped(_ value: SecretBytes, limit: Int = defaultLimit) -> String {
        value.withUnsafeBytes { escaped(bytes: $0, limit: limit) }
    }

    /// An unknown option name as it may be logged: a name made of letters, digits, `.`, `_` and
    /// `-` is shown; anything else is withheld, since a mistyped `passwd:secret` would otherwise
    /// put the database password into the log.
    public static func optionName<C: Collection>(bytes: C) -> String where C.Element == UInt8 {
        let isNameByte = { (b: UInt8) in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
        guard !bytes.isEmpty, bytes.count <= 64, bytes.allSatisfy(isNameByte) else {
            return "(name withheld: not an option name)"
        }
        return String(decoding: Array(bytes), as: UTF8.self)
    }
}
