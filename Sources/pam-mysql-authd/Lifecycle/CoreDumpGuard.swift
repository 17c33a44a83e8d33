import CProcessControl

#if canImport(Glibc)
import Glibc
#endif

/// The daemon holds the database passwords of every service and, for a moment, each user's
/// password: no core file may carry them, whatever limit the caller left it, and no process of
/// the same uid may read its memory (ptrace, /proc/PID/mem, /proc/PID/environ). Called first,
/// before any configuration is read.
enum CoreDumpGuard {
    /// Sets RLIMIT_CORE to 0 (soft and hard) and clears the dumpable flag (which also stops
    /// ptrace by a process without CAP_SYS_PTRACE); returns what failed, if anything did.
    static func engage() -> String? {
        var failures: [String] = []
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        if setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) != 0 {
            failures.append("setrlimit(RLIMIT_CORE): \(String(cString: strerror(errno)))")
        }
        if pam_mysql_authd_set_not_dumpable() != 0 {
            failures.append("prctl(PR_SET_DUMPABLE): \(String(cString: strerror(errno)))")
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }
}
