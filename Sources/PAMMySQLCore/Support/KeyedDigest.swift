internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104) under one key fixed at creation, for the verification cache.
///
/// The key's inner and outer pads are absorbed once into two libcrypto contexts; each digest
/// copies them (`EVP_MD_CTX_copy_ex`) instead of hashing the pads again, and the key is kept
/// nowhere else: the caller's copy is a `SecretBytes`, the pads are wiped here, and libcrypto
/// cleanses its contexts when they are freed. libcrypto rather than a SHA-256 of our own: the
/// module already links it (`Digest`), libmariadb loads it anyway, and its SHA-256 uses the
/// CPU's SHA extensions.
///
/// Thread-safe: the keyed contexts are only read (copied) after `init`.
public final class KeyedDigest: @unchecked Sendable {
    /// Output length in bytes.
    public static let length = 32
    private static let blockSize = 64

    private let inner: OpaquePointer
    private let outer: OpaquePointer

    /// nil when libcrypto fails (no memory, SHA-256 disabled by policy).
    public init?(key: SecretBytes) {
        guard let inner = EVP_MD_CTX_new() else { return nil }
        guard let outer = EVP_MD_CTX_new() else {
            EVP_MD_CTX_free(inner)
            return nil
        }
        self.inner = inner
        self.outer = outer
        let shortKey: SecretBytes
        if key.count > Self.blockSize {
            guard let hashed = DigestAlgorithm.sha256.digest(key) else { return nil }
            shortKey = hashed
        } else {
            shortKey = key
        }
        let pads = SecretBytes(zeroedCount: 2 * Self.blockSize)
        pads.withUnsafeMutableBytes { padBytes in
            shortKey.withUnsafeBytes { keyBytes in
                for i in 0..<Self.blockSize {
                    let byte = i < keyBytes.count ? keyBytes[i] : 0
                    padBytes[i] = byte ^ 0x36
                    padBytes[Self.blockSize + i] = byte ^ 0x5c
                }
            }
        }
        let keyed = pads.withUnsafeBytes { padBytes in
            EVP_DigestInit_ex(inner, EVP_sha256(), nil) == 1 && EVP_DigestInit_ex(outer, EVP_sha256(), nil) == 1
                && EVP_DigestUpdate(inner, padBytes.baseAddress, Self.blockSize) == 1
                && EVP_DigestUpdate(outer, padBytes.baseAddress! + Self.blockSize, Self.blockSize) == 1
        }
        guard keyed else { return nil }
    }

    deinit {
        EVP_MD_CTX_free(inner)
        EVP_MD_CTX_free(outer)
    }

    /// What `authenticate` feeds: bytes, secrets and length-prefixed fields, so that two
    /// different sequences of fields never give the same message.
    public struct Message {
        fileprivate let context: OpaquePointer
        fileprivate var failed = false

        public mutating func append(_ bytes: UnsafeRawBufferPointer) {
            guard !failed, bytes.count > 0 else { return }
            if EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) != 1 { failed = true }
        }

        public mutating func append(_ secret: SecretBytes) {
            secret.withUnsafeBytes { append($0) }
        }

        /// A 64-bit big-endian integer.
        public mutating func append(_ value: UInt64) {
            withUnsafeBytes(of: value.bigEndian) { append($0) }
        }

        /// `bytes`' length, then `bytes`.
        public mutating func appendField(_ bytes: [UInt8]) {
            append(UInt64(bytes.count))
            bytes.withUnsafeBytes { append($0) }
        }

        public mutating func appendField(_ secret: SecretBytes) {
            append(UInt64(secret.count))
            append(secret)
        }

        public mutating func appendField(_ text: String) {
            appendField(Array(text.utf8))
        }
    }

    /// The HMAC of what `build` appends; nil only if libcrypto fails.
    public func authenticate(_ build: (inout Message) -> Void) -> SecretBytes? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_MD_CTX_copy_ex(context, inner) == 1 else { return nil }
        var message = Message(context: context)
        build(&message)
        guard !message.failed else { return nil }
        let innerDigest = SecretBytes(zeroedCount: Self.length)
        let innerDone = innerDigest.withUnsafeMutableBytes {
            EVP_DigestFinal_ex(context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), nil) == 1
        }
        guard innerDone, EVP_MD_CTX_copy_ex(context, outer) == 1 else { return nil }
        let out = SecretBytes(zeroedCount: Self.length)
        let outerDone = innerDigest.withUnsafeBytes { innerBytes in
            out.withUnsafeMutableBytes { outBytes in
                EVP_DigestUpdate(context, innerBytes.baseAddress, innerBytes.count) == 1
                    && EVP_DigestFinal_ex(context, outBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), nil) == 1
            }
        }
        return outerDone ? out : nil
    }
}
