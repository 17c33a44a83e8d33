internal import CXCrypt

#if canImport(Glibc)
import Glibc
#endif

/// Random bytes from the kernel (`getrandom`), for salts. pam_mysql derived crypt=1 salts from
/// the password itself and seeded Joomla salts with the time; neither is acceptable.
public enum SecureRandom {
    /// `count` random bytes, or nil if the kernel refuses (never a weaker fallback).
    public static func bytes(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try? retryingOnInterrupt { out.withUnsafeMutableBytes { getrandom($0.baseAddress! + filled, count - filled, 0) } }
            guard let n, n > 0 else { return nil }
            filled += n
        }
        return out
    }

    /// `count` random bytes straight into a secret (a key that must never be a copyable array),
    /// or nil if the kernel refuses.
    public static func secret(_ count: Int) -> SecretBytes? {
        let out = SecretBytes(zeroedCount: count)
        let filledAll = out.withUnsafeMutableBytes { buffer -> Bool in
            var filled = 0
            while filled < buffer.count {
                let n = try? retryingOnInterrupt { getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0) }
                guard let n, n > 0 else { return false }
                filled += n
            }
            return true
        }
        return filledAll ? out : nil
    }

    /// `count` characters drawn uniformly from `alphabet` (at most 256 characters).
    public static func string(_ count: Int, alphabet: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        // Rejection sampling keeps the draw uniform for alphabets that do not divide 256.
        let limit = 256 - 256 % alphabet.count
        while out.count < count {
            guard let batch = bytes(count * 2) else { return nil }
            for byte in batch where Int(byte) < limit && out.count < count {
                out.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return out
    }
}
