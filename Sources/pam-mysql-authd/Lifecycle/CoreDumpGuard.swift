#if canImport(Glibc)
import Glibc
#endif

/// The daemon holds the database passwords of every service and, for a moment, each user's
/// password: no core file may carry them, whatever limit the caller left it. Called first,
/// before any configuration is read. (PR_SET_DUMPABLE would also stop ptrace by the same uid,
/// but `prctl` is variadic and Swift does not import it.)
enum CoreDumpGuard {
    /// Sets RLIMIT_CORE to 0 (soft and hard); returns why it failed, if it did.
    static func engage() -> String? {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) != 0 else { return nil }
        return "setrlimit(RLIMIT_CORE): \(String(cString: strerror(errno)))"
    }
}
