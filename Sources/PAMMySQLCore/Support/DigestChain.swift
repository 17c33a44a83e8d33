internal import COpenSSL

/// Many digests of one algorithm in a row (phpass/Drupal: 2^15 rounds of H(hash ‖ password))
/// on one context and one fetched method, into one buffer. `DigestAlgorithm.digest` allocates a
/// context, and OpenSSL 3 looks the method up again, on every call: for Drupal's rounds that was
/// most of a login's work.
final class DigestChain {
    let algorithm: DigestAlgorithm
    private let context: OpaquePointer
    private let method: OpaquePointer

    init?(_ algorithm: DigestAlgorithm) {
        guard let method = algorithm.fetchedMethod, let context = EVP_MD_CTX_new() else { return nil }
        self.algorithm = algorithm
        self.method = method
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Writes H(first ‖ second) into `output`, which may be `first` (it is read before it is
    /// written). `output` holds exactly `algorithm.length` bytes. False if libcrypto fails.
    func digest(_ first: SecretBytes, _ second: SecretBytes, into output: SecretBytes) -> Bool {
        guard output.count == algorithm.length, EVP_DigestInit_ex2(context, method, nil) == 1,
            first.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, $0.count) }) == 1,
            second.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, $0.count) }) == 1
        else { return false }
        return output.withUnsafeMutableBytes {
            EVP_DigestFinal_ex(context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), nil)
        } == 1
    }
}

extension DigestAlgorithm {
    // A fetched EVP_MD is immutable and may be shared between threads (OpenSSL 3's
    // crypto(7), "Fetching algorithms"); Swift's lazy globals initialise it exactly once.
    nonisolated(unsafe) private static let fetchedMD5 = EVP_MD_fetch(nil, "MD5", nil)
    nonisolated(unsafe) private static let fetchedSHA1 = EVP_MD_fetch(nil, "SHA1", nil)
    nonisolated(unsafe) private static let fetchedSHA256 = EVP_MD_fetch(nil, "SHA256", nil)
    nonisolated(unsafe) private static let fetchedSHA512 = EVP_MD_fetch(nil, "SHA512", nil)

    /// The provider's method, fetched once per process and kept (nil if the provider lacks it).
    var fetchedMethod: OpaquePointer? {
        switch self {
        case .md5: Self.fetchedMD5
        case .sha1: Self.fetchedSHA1
        case .sha256: Self.fetchedSHA256
        case .sha512: Self.fetchedSHA512
        }
    }
}
