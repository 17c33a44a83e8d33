/// HMAC (RFC 2104) over `DigestAlgorithm`, for SCRAM's ClientKey. Built from two digests so no
/// deprecated `HMAC_CTX` call of OpenSSL 3 is needed; the padded keys are wiped secrets.
public enum HMAC {
    public static func authenticate(key: SecretBytes, message: SecretBytes, algorithm: DigestAlgorithm) -> SecretBytes? {
        let blockSize = algorithm.blockSize
        let shortKey: SecretBytes
        if key.count > blockSize {
            guard let hashed = algorithm.digest(key) else { return nil }
            shortKey = hashed
        } else {
            shortKey = key
        }
        let inner = SecretBytes(zeroedCount: blockSize)
        let outer = SecretBytes(zeroedCount: blockSize)
        inner.withUnsafeMutableBytes { innerBytes in
            outer.withUnsafeMutableBytes { outerBytes in
                shortKey.withUnsafeBytes { keyBytes in
                    for i in 0..<blockSize {
                        let byte = i < keyBytes.count ? keyBytes[i] : 0
                        innerBytes[i] = byte ^ 0x36
                        outerBytes[i] = byte ^ 0x5c
                    }
                }
            }
        }
        guard let innerDigest = algorithm.digest(inner, message) else { return nil }
        return algorithm.digest(outer, innerDigest)
    }
}
