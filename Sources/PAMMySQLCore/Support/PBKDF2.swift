internal import COpenSSL

/// PBKDF2-HMAC (RFC 8018) through libcrypto's `PKCS5_PBKDF2_HMAC`, for Dovecot's PBKDF2 scheme
/// and SCRAM's `Hi()` (which is PBKDF2 with one output block). The iteration count must be
/// capped by the caller: it comes from the database.
public enum PBKDF2 {
    public static func derive(
        password: SecretBytes, salt: SecretBytes, iterations: Int, length: Int, algorithm: DigestAlgorithm
    ) -> SecretBytes? {
        guard iterations >= 1, iterations <= Int(Int32.max), length >= 1 else { return nil }
        let out = SecretBytes(zeroedCount: length)
        let ok = out.withUnsafeMutableBytes { key in
            password.withUnsafeBytes { pass in
                salt.withUnsafeBytes { saltBytes in
                    PKCS5_PBKDF2_HMAC(
                        pass.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(pass.count),
                        saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(saltBytes.count),
                        Int32(iterations), algorithm.evp, Int32(length), key.baseAddress?.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return ok == 1 ? out : nil
    }
}
