/// Hex encoding as pam_mysql writes it: lowercase for the digest modes, uppercase for crypt=2.
public enum Hex {
    public enum Case { case lower, upper }

    public static func encode(_ bytes: SecretBytes, case letterCase: Case) -> SecretBytes {
        let digits = Array((letterCase == .lower ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
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
}
