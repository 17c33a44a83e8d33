internal import CXCrypt

#if canImport(Glibc)
import Glibc
#endif

/// The one wrapper around libxcrypt's `crypt_rn`, which is thread-safe and returns NULL (not a
/// `*0` token) on failure. Its ~32 KiB work area is heap-allocated, zeroed before use as
/// libxcrypt requires, and wiped afterwards because it holds password-derived state.
public enum CryptFunction {
    public static func hash(password: SecretBytes, setting: SecretBytes) -> SecretBytes? {
        let size = MemoryLayout<crypt_data>.size
        let area = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        memset(area, 0, size)
        defer {
            explicit_bzero(area, size)
            area.deallocate()
        }
        return password.withCString { phrase in
            setting.withCString { setting -> SecretBytes? in
                guard let result = crypt_rn(phrase, setting, area, Int32(size)) else { return nil }
                // Failure tokens start with '*'; no valid hash does.
                if result.pointee == CChar(UInt8(ascii: "*")) { return nil }
                return SecretBytes(cString: result)
            }
        }
    }

    /// A new salt for `prefix` from libxcrypt's secure random source (`crypt_gensalt_rn`
    /// with a NULL random buffer), or, given `fixedBytes`, the setting those bytes make (the
    /// decoy's: the same every time, and nobody's salt).
    public static func generateSalt(prefix: String, count: UInt = 0, fixedBytes: [UInt8]? = nil) -> String? {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            guard let fixedBytes else {
                return crypt_gensalt_rn(prefix, count, nil, 0, buffer.baseAddress, Int32(buffer.count)) != nil
            }
            let signed = fixedBytes.map { CChar(bitPattern: $0) }
            return crypt_gensalt_rn(prefix, count, signed, Int32(signed.count), buffer.baseAddress, Int32(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: output.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
