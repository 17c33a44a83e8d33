import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// The system paths the chain check reads, each overridable through an environment variable
/// so the tests can show it a private saslauthd among the machine's others (a /proc-like
/// directory holding only some processes), a defaults file and copies of smtpd.conf without
/// touching /etc. Not documented for administrators: the defaults are the real places.
struct ChainEnvironment {
    /// Where processes are listed (`PAM_MYSQL_PROC_ROOT`, default /proc).
    var procRoot = "/proc"
    /// Debian's saslauthd settings (`PAM_MYSQL_SASLAUTHD_DEFAULTS`).
    var saslauthdDefaults = "/etc/default/saslauthd"
    /// Directories where copies of smtpd.conf go unread by Debian's Postfix
    /// (`PAM_MYSQL_SASL_ELSEWHERE`, colon-separated).
    var saslElsewhere = ["/etc/sasl2", "/etc/sasl", "/usr/lib/sasl2", "/usr/lib/\(ChainEnvironment.multiarch)/sasl2"]
    /// Where libsasl2 loads its mechanism plugins from (libsasl2-modules).
    var saslPluginDirectory = "/usr/lib/\(ChainEnvironment.multiarch)/sasl2"
    /// Where libpam looks for a module named without a path.
    var pamModuleDirectory = "/lib/\(ChainEnvironment.multiarch)/security"
    var pamDirectory = "/etc/pam.d"

    /// The pam_mysql lines of a PAM service file, nil when it cannot be read.
    func pamModuleLines(_ service: String) -> [PAMLine]? {
        guard let text = Check.readText(FileSystem.join(pamDirectory, service)) else { return nil }
        return PAMLine.ourLines(in: text)
    }

    static func fromEnvironment() -> ChainEnvironment {
        var environment = ChainEnvironment()
        if let value = variable("PAM_MYSQL_PROC_ROOT") { environment.procRoot = value }
        if let value = variable("PAM_MYSQL_SASLAUTHD_DEFAULTS") { environment.saslauthdDefaults = value }
        if let value = variable("PAM_MYSQL_SASL_ELSEWHERE") {
            environment.saslElsewhere = value.split(separator: ":").map(String.init)
        }
        return environment
    }

    private static func variable(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// Debian's multiarch triplet for this machine (libpam's module directory is under it).
    static var multiarch: String {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: &names.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch machine {
        case "x86_64": return "x86_64-linux-gnu"
        case "aarch64": return "aarch64-linux-gnu"
        case "armv7l": return "arm-linux-gnueabihf"
        case "i686", "i586", "i386": return "i386-linux-gnu"
        case "ppc64le": return "powerpc64le-linux-gnu"
        case "s390x": return "s390x-linux-gnu"
        default: return "\(machine)-linux-gnu"
        }
    }
}
