/// Standard base64 (RFC 4648 alphabet, `=` padding, no line breaks), as pam_mysql's SSHA uses it.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: SecretBytes) -> SecretBytes {
        let out = SecretBytes(zeroedCount: (bytes.count + 2) / 3 * 4)
        out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                var o = 0
                var i = 0
                while i < source.count {
                    let b0 = UInt32(source[i])
                    let b1 = i + 1 < source.count ? UInt32(source[i + 1]) : 0
                    let b2 = i + 2 < source.count ? UInt32(source[i + 2]) : 0
                    let triple = b0 << 16 | b1 << 8 | b2
                    target[o] = alphabet[Int(triple >> 18 & 63)]
                    target[o + 1] = alphabet[Int(triple >> 12 & 63)]
                    target[o + 2] = i + 1 < source.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "=")
                    target[o + 3] = i + 2 < source.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "=")
                    i += 3
                    o += 4
                }
            }
        }
        return out
    }

    private static func value(of byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(byte - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// Strict decoding: the length must be a multiple of 4, padding only at the end, no other
    /// characters. Returns nil for anything else (pam_mysql aborted the process there).
    public static func decode(_ text: SecretBytes) -> SecretBytes? {
        guard text.count % 4 == 0 else { return nil }
        return text.withUnsafeBytes { source -> SecretBytes? in
            var padding = 0
            if source.count >= 1, source[source.count - 1] == UInt8(ascii: "=") { padding += 1 }
            if source.count >= 2, source[source.count - 2] == UInt8(ascii: "=") { padding += 1 }
            let out = SecretBytes(zeroedCount: source.count / 4 * 3 - padding)
            let ok = out.withUnsafeMutableBytes { target -> Bool in
                var o = 0
                var i = 0
                while i < source.count {
                    var quad: UInt32 = 0
                    for j in 0..<4 {
                        let byte = source[i + j]
                        let isPad = byte == UInt8(ascii: "=") && i + j >= source.count - padding
                        guard let v = isPad ? 0 : value(of: byte) else { return false }
                        quad = quad << 6 | v
                    }
                    for (k, shift) in [16, 8, 0].enumerated() where o + k < target.count {
                        target[o + k] = UInt8(truncatingIfNeeded: quad >> UInt32(shift))
                    }
                    o += 3
                    i += 4
                }
                return true
            }
            return ok ? out : nil
        }
    }
}
