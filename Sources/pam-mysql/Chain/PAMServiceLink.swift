import PAMMySQLCore
import PAMStack

/// The PAM link: the service file libpam opens for smtpd_sasl_service (a missing one
/// silently means `other`), the module file each line loads (path, package, diversion), then
/// `Checker` on the pam_mysql lines.
struct PAMServiceLink {
    let report: Report
    let environment: ChainEnvironment
    let password: SecretBytes?

    /// The service file libpam opens for saslauthd's request, the module files its lines
    /// load, then the module's own checks for `user`, the name PAM is handed.
    func check(service: String, user pamUser: String?) {
        let path = FileSystem.join(environment.pamDirectory, service)
        guard let text = Check.readText(path) else {
            report.fail(
                "PAM service file",
                "\(path) does not exist (smtpd_sasl_service = \(service)): libpam silently uses \(environment.pamDirectory)/other "
                    + "instead (Debian's denies), so every AUTH fails with 535 5.7.8 and pam_mysql is never asked",
                fix: "create \(path) with the pam_mysql auth and account lines, or set smtpd_sasl_service to the service that has them")
            return
        }
        report.ok("PAM service file", path + (pamUser.map { ", user \"\($0)\" as saslauthd hands it" } ?? ""))
        for line in PAMLine.lines(in: text) {
            if line.type == "@include" {
                let included = line.modulePath.hasPrefix("/") ? line.modulePath : FileSystem.join(environment.pamDirectory, line.modulePath)
                if FileSystem.exists(included) {
                    report.ok("PAM @include (line \(line.number))", included)
                } else {
                    report.fail(
                        "PAM @include (line \(line.number))", "\(included) does not exist: libpam fails the whole stack",
                        fix: "correct the @include")
                }
                continue
            }
            let file = PAMModuleFile.resolve(line.modulePath, moduleDirectory: environment.pamModuleDirectory)
            let step = "PAM module (line \(line.number), \(line.type))"
            if file.exists {
                let flavour =
                    line.isOurModule && file.package == "libpam-mysql" ? " (the C pam_mysql 0.8.2, not this project's module)" : ""
                report.ok(step, file.description + flavour)
            } else if line.ignoresMissingModule {
                report.warn(
                    step, "\(file.path) does not exist; libpam skips this -\(line.type) line", fix: "install the module or remove the line")
            } else {
                report.fail(
                    step, "\(file.path) does not exist: libpam logs \"PAM unable to dlopen(\(file.path))\" and the stack fails",
                    fix: "install the module (make install, or the .deb), or correct the path")
            }
        }
        let ours = PAMLine.ourLines(in: text)
        guard !ours.isEmpty else {
            report.fail(
                "PAM service file", "no pam_mysql.so line in \(path)",
                fix: "add 'auth required pam_mysql.so config_file=/etc/pam-mysql.conf' and the account line")
            return
        }
        Checker(report: report, user: pamUser, password: password).check(ours, origin: path)
    }
}
