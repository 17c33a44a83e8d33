/// The protocol's escaping of values (Dovecot `src/lib/strescape.c`): `\x01` is the escape byte,
/// followed by `0` for NUL, `1` for `\x01`, `t` for TAB, `r` for CR and `n` for LF (the 2.3 web
/// page says `l` for LF; the code of 2.3 and main says `n`).
public enum DovecotTabEscape {
    public static func escaped<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case 0x00: out += [0x01, UInt8(ascii: "0")]
            case 0x01: out += [0x01, UInt8(ascii: "1")]
            case 0x09: out += [0x01, UInt8(ascii: "t")]
            case 0x0d: out += [0x01, UInt8(ascii: "r")]
            case 0x0a: out += [0x01, UInt8(ascii: "n")]
            default: out.append(byte)
            }
        }
        return out
    }

    /// As `str_tabunescape`: an escape before any other byte yields that byte, a trailing escape
    /// byte is dropped.
    public static func unescaped<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        guard bytes.contains(0x01) else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var escape = false
        for byte in bytes {
            if escape {
                escape = false
                switch byte {
                case UInt8(ascii: "0"): out.append(0x00)
                case UInt8(ascii: "1"): out.append(0x01)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "n"): out.append(0x0a)
                default: out.append(byte)
                }
            } else if byte == 0x01 {
                escape = true
            } else {
                out.append(byte)
            }
        }
        return out
    }
}
