/// Hex encoding as pam_mysql writes it: lowercase for the digest modes, uppercase for crypt=2.
public enum Hex {
    public enum Case { case lower, upper }

    /// Checks that `bytes[range]` are hex digits of the expected case; nil when they are, else
    /// why not (for a log line; never the value).
    public static func defect(in value: SecretBytes, range: Range<Int>, case letterCase: Case) -> String? {
        value.withUnsafeBytes { bytes in
            var wrongCase = false
            for i in range {
                guard i < bytes.count else { return "is too short" }
                switch bytes[i] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): continue
                case UInt8(ascii: "a")...UInt8(ascii: "f"): wrongCase = wrongCase || letterCase == .upper
                case UInt8(ascii: "A")...UInt8(ascii: "F"): wrongCase = wrongCase || letterCase == .lower
                default: return "contains characters that are not hex digits"
                }
            }
            guard !wrongCase else {
                return letterCase == .lower
                    ? "has uppercase hex digits, but pam_mysql compares lowercase hex"
                    : "has lowercase hex digits, but MySQL PASSWORD() values are uppercase"
            }
            return nil
        }
    }

    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    public static func encode(_ bytes: SecretBytes, case letterCase: Case) -> SecretBytes {
        let digits = letterCase == .lower ? lowerDigits : upperDigits
        let out = SecretBytes(zeroedCount: bytes.count * 2)
        out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                for (i, byte) in source.enumerated() {
                    target[2 * i] = digits[Int(byte >> 4)]
                    target[2 * i + 1] = digits[Int(byte & 0x0f)]
                }
            }
        }
        return out
    }

    /// Decodes hex digits of either case, as Dovecot's `hex_to_binary` does; nil for an odd
    /// length or any other character.
    public static func decode(_ text: SecretBytes) -> SecretBytes? {
        guard text.count % 2 == 0 else { return nil }
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let out = SecretBytes(zeroedCount: text.count / 2)
        let ok = out.withUnsafeMutableBytes { target in
            text.withUnsafeBytes { source -> Bool in
                for i in 0..<target.count {
                    guard let high = value(source[2 * i]), let low = value(source[2 * i + 1]) else { return false }
                    target[i] = high << 4 | low
                }
                return true
            }
        }
        return ok ? out : nil
    }
}
