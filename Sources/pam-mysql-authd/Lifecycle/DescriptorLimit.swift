#if canImport(Glibc)
import Glibc
#endif

/// Raises __rlimit_resource_t(RLIMIT_NOFILE.rawValue)'s soft limit so `connections` clients (plus the daemon's own
/// descriptors: database connections, logs, listeners) fit, up to the hard limit.
enum DescriptorLimit {
    /// The soft limit now in force.
    @discardableResult
    static func raise(toFit connections: Int) -> UInt64 {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let wanted = rlim_t(connections + 256)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = min(wanted, limit.rlim_max)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        return UInt64(limit.rlim_cur)
    }
}
