#if canImport(Glibc)
import Glibc
#endif

/// Bytes of a secret (a password, the database password, a stored hash) in a heap buffer this
/// object owns and wipes with `explicit_bzero` when it goes away.
///
/// Secrets never become `String` or `[UInt8]`: those are copy-on-write values the runtime may
/// duplicate, that cannot be wiped, and `String` would merge distinct non-UTF-8 passwords.
/// The buffer always carries one extra NUL byte so it can be handed to C as a string.
public final class SecretBytes {
    private let storage: UnsafeMutableRawBufferPointer
    /// Number of secret bytes (without the trailing NUL).
    public let count: Int

    /// A zero-filled secret of `count` bytes, to be written through `withUnsafeMutableBytes`.
    public init(zeroedCount count: Int) {
        self.count = max(count, 0)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: self.count + 1, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// Copies `bytes` into a new secret.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(zeroedCount: bytes.count)
        if bytes.count > 0, let base = bytes.baseAddress {
            storage.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// Copies a NUL-terminated C string (as PAM and libmariadb hand them out).
    public convenience init(cString: UnsafePointer<CChar>) {
        let length = strlen(cString)
        self.init(copying: UnsafeRawBufferPointer(start: cString, count: length))
    }

    /// Copies a literal or test value. Not for secrets that arrive from C.
    public convenience init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        self.init(zeroedCount: array.count)
        array.withUnsafeBytes { source in
            if let base = source.baseAddress { storage.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
    }

    deinit {
        explicit_bzero(storage.baseAddress!, storage.count)
        storage.deallocate()
    }

    public var isEmpty: Bool { count == 0 }

    /// Zeroes the bytes now, for a holder that drops a secret others may still reference (a
    /// cache entry evicted while a login reads it).
    public func wipe() {
        explicit_bzero(storage.baseAddress!, storage.count)
    }

    /// True when every byte is zero (after `wipe`).
    public var isZeroed: Bool {
        withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    /// True when the secret contains a NUL byte, i.e. C would see only a prefix of it.
    public var containsNUL: Bool {
        withUnsafeBytes { $0.contains(0) }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// The secret as a NUL-terminated C string (valid only inside `body`).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try body(storage.baseAddress!.assumingMemoryBound(to: CChar.self))
    }

    /// A new secret holding `self` followed by `other`.
    public func appending(_ other: SecretBytes) -> SecretBytes {
        let joined = SecretBytes(zeroedCount: count + other.count)
        joined.withUnsafeMutableBytes { target in
            withUnsafeBytes { if let b = $0.baseAddress { target.baseAddress!.copyMemory(from: b, byteCount: $0.count) } }
            other.withUnsafeBytes {
                if let b = $0.baseAddress { (target.baseAddress! + count).copyMemory(from: b, byteCount: $0.count) }
            }
        }
        return joined
    }

    /// A new secret holding the bytes in `range` (clamped to the secret).
    public func slice(_ range: Range<Int>) -> SecretBytes {
        let lower = min(max(range.lowerBound, 0), count)
        let upper = min(max(range.upperBound, lower), count)
        return withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[lower..<upper])) }
    }

    /// Index of the first occurrence of `byte`, if any.
    public func firstIndex(of byte: UInt8) -> Int? {
        withUnsafeBytes { $0.firstIndex(of: byte) }
    }

    public func hasPrefix(_ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        guard p.count <= count else { return false }
        return withUnsafeBytes { bytes in
            for i in 0..<p.count where bytes[i] != p[i] { return false }
            return true
        }
    }

    /// True when the bytes are exactly `text`'s UTF-8 (for fixed keywords, not secrets).
    public func isText(_ text: String) -> Bool {
        count == text.utf8.count && hasPrefix(text)
    }

    /// Byte at `index`, or nil outside the secret.
    public subscript(safe index: Int) -> UInt8? {
        guard index >= 0, index < count else { return nil }
        return storage[index]
    }

    /// Constant-time equality with another secret.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}
