import Logging
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// `--check-config`: resolves every service of the pam.d directory that names pam_mysql.so, as
/// the first request of each would, and says which the daemon would refuse.
enum ConfigurationCheck {
    static func run(pamDirectory: String, logger: Logger) -> Bool {
        guard let directory = opendir(pamDirectory) else {
            logger.error("cannot read \(pamDirectory): \(String(cString: strerror(errno)))")
            return false
        }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard !name.hasPrefix("."), ServiceDirectory.isValid(name) else { continue }
            names.append(name)
        }
        closedir(directory)
        let services = ServiceDirectory(pamDirectory: pamDirectory, logger: logger)
        var usable = true
        var found = 0
        for name in names.sorted() {
            guard case .success(let text) = TextFile.read("\(pamDirectory)/\(name)"), !PAMLine.ourLines(in: text).isEmpty else {
                continue
            }
            found += 1
            if case .refused = services.resolve(name) { usable = false }
        }
        if found == 0 {
            logger.error("no service file in \(pamDirectory) names pam_mysql.so")
            return false
        }
        logger.info("configuration check: \(found) service(s), \(usable ? "all usable" : "some refused")")
        return usable
    }
}
