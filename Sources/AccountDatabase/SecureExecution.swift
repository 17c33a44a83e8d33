internal import CMariaDB

#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs with more privilege than its caller (`su`, `sudo`, `passwd`,
/// `chsh`: set-uid or set-gid, or given capabilities), whose environment then belongs to the
/// caller, and what the module does differently there.
///
/// Connector/C 3.3 reads its environment with `getenv`, not `secure_getenv`. The variables
/// that choose a server, a socket or a password are made irrelevant by passing every
/// connection parameter explicitly (`MariaDBConnection.open`). Two make the library load code
/// at its initialisation (`mysql_client_plugin_init`, run by the first `mysql_init`), which no
/// option can override afterwards: `LIBMYSQL_PLUGINS` (plugins to `dlopen`) and
/// `MARIADB_PLUGIN_DIR` (where from). In a secure-execution process the module refuses to
/// initialise the library when either is set. It does not `unsetenv` them: the environment
/// belongs to the host, and changing it is not thread-safe.
///
/// Remaining risk: another module or library of the same host that initialises libmariadb
/// first (before our first call) has already loaded what the variables named.
package enum SecureExecution {
    /// Variables (found in Connector/C 3.3's `ma_client_plugin.c`) that make the client library
    /// load a shared object of the caller's choice.
    package static let codeLoadingVariables = ["LIBMYSQL_PLUGINS", "MARIADB_PLUGIN_DIR"]

    /// AT_SECURE (set by the kernel for set-uid/set-gid/file-capability executables), or real
    /// and effective ids that differ (a host that changed only its effective ids).
    /// Evaluated on each use: a host may change its ids between two PAM calls.
    package static var isActive: Bool {
        atSecure || getuid() != geteuid() || getgid() != getegid()
    }

    private static let atSecure = pam_mysql_secure_execution() != 0

    /// The log line when this process must not initialise Connector/C, else nil. The value of
    /// the variable is not logged: it is the caller's text.
    /// - Parameter privileged: `isActive`, when the caller has just evaluated it.
    package static func refusal(privileged: Bool = isActive) -> String? {
        guard privileged else { return nil }
        for name in codeLoadingVariables where getenv(name) != nil {
            return
                "\(name) is set in the environment of a set-uid or otherwise privileged process: refusing to load the MariaDB client library, which would load code it names"
        }
        return nil
    }
}
