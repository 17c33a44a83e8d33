internal import COpenSSL

/// Message digests through libcrypto's EVP interface (the same library libmariadb loads).
public enum DigestAlgorithm: Sendable {
    case md5, sha1, sha256, sha512

    /// Output length in bytes.
    public var length: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }

    /// Input block size in bytes (what HMAC pads its key to).
    public var blockSize: Int {
        switch self {
        case .md5, .sha1, .sha256: 64
        case .sha512: 128
        }
    }

    /// The libcrypto method; internal so PBKDF2 can hand it to `PKCS5_PBKDF2_HMAC`.
    var evp: OpaquePointer? {
        switch self {
        case .md5: EVP_md5()
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha512: EVP_sha512()
        }
    }

    /// The digest of the concatenation of `parts`, as a secret (it is password-derived).
    /// Returns nil only if libcrypto fails (no memory, algorithm disabled by policy).
    public func digest(_ parts: SecretBytes...) -> SecretBytes? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, evp, nil) == 1 else { return nil }
        for part in parts {
            let ok = part.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            guard ok == 1 else { return nil }
        }
        let out = SecretBytes(zeroedCount: length)
        let ok = out.withUnsafeMutableBytes {
            EVP_DigestFinal_ex(context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), nil)
        }
        return ok == 1 ? out : nil
    }
}
