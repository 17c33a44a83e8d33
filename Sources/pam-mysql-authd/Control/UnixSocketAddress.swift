#if canImport(Glibc)
import Glibc
#endif

/// A `sockaddr_un` for a path, for the few plain-POSIX sockets outside SwiftNIO (the control
/// client, the stale-socket probe).
enum UnixSocketAddress {
    /// Calls `body` with the address and its length; nil when the path does not fit sun_path.
    static func withAddress<T>(path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { sunPath -> Bool in
            guard !bytes.isEmpty, bytes.count < sunPath.count else { return false }
            for (index, byte) in bytes.enumerated() { sunPath[index] = byte }
            return true
        }
        guard fits else { return nil }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
