import AuthDaemonCore
import Logging
import PAMMySQLCore
import PAMStack

#if canImport(Glibc)
import Glibc
#endif

/// `--check-config`: the configuration loaded (its errors stop before this), then every service
/// it can name resolved as its first request would be: the `[service]` sections and each file
/// of the pam.d directory that names pam_mysql.so. Says which the daemon would refuse.
enum ConfigurationCheck {
    static func run(_ holder: ConfigurationHolder, logger: Logger) -> Bool {
        let configuration = holder.current
        let pamDirectory = configuration.settings.pamDir
        var names = Set(configuration.configuredServices.map(\.text))
        if let directory = opendir(pamDirectory) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                guard !name.hasPrefix("."), (try? ServiceName(validating: name)) != nil else { continue }
                guard case .success(let read) = ConfigFileReader.read(path: "\(pamDirectory)/\(name)"),
                    !PAMLine.ourLines(in: read.text.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }).isEmpty
                else { continue }
                names.insert(name)
            }
            closedir(directory)
        } else {
            logger.warning("cannot read \(pamDirectory): \(String(cString: strerror(errno)))")
        }
        guard !names.isEmpty else {
            logger.error("no service: no [service] section and no file of \(pamDirectory) names pam_mysql.so")
            return false
        }
        var refused = 0
        for name in names.sorted() {
            if case .failure = holder.plan(forService: name) { refused += 1 }
        }
        logger.info("configuration check: \(names.count) service(s), \(refused == 0 ? "all usable" : "\(refused) refused")")
        return refused == 0
    }
}
