#if canImport(Glibc)
import Glibc
#endif

/// Whether smtpd, as the mail owner and inside its chroot, can connect() to a socket; for a
/// refusal, the directory that stops it and the group that would let it in.
struct MailOwnerReachability {
    let report: Report

    /// The connect() smtpd will make, made by a child with the mail owner's identity.
    func check(
        host: String, inside path: String, service: PostfixService, _ configuration: PostfixConfiguration, what: String
    ) -> Bool {
        let owner = configuration.mailOwner
        let step = "\(what) reachable as \(owner)"
        let chrootDirectory = service.chrooted ? configuration.queueDirectory : nil
        // Inside the chroot smtpd's working directory is its root (queue_directory).
        let target = service.chrooted ? (path.hasPrefix("/") ? path : "/" + path) : host
        switch PrivilegeDroppedConnect.connect(path: target, as: owner, chrootDirectory: chrootDirectory) {
        case .connected:
            report.ok(step, "connect() with \(owner)'s uid and groups\(service.chrooted ? " inside the chroot" : "") succeeds")
            return true
        case .unknownUser:
            report.fail(step, "there is no user \(owner) (mail_owner)", fix: "install Postfix's user, or correct mail_owner")
        case .forkFailed(let code):
            report.fail(step, "could not fork a child to test it: \(String(cString: strerror(code)))", fix: "retry")
        case .failed(let code, let stage):
            let reason = String(cString: strerror(code))
            let log =
                what == "saslauthd"
                ? "smtpd logs \"cannot connect to saslauthd server: \(reason)\", SMTP 454 4.7.0 Temporary authentication failure"
                : "smtpd logs \"fatal: no SASL authentication mechanisms\", EHLO offers no AUTH"
            if code == EACCES, let blocker = Self.blockingDirectory(for: host, user: owner) {
                let groupFix = blocker.group.map { "adduser \(owner) \($0), then postfix reload (smtpd takes its groups when it starts)" }
                report.fail(
                    step,
                    "\(owner) cannot connect to \(host): \(reason) (\(blocker.path) is \(blocker.ownership)"
                        + (blocker.group.map { " and \(owner) is not in group \($0)" } ?? "") + "): \(log)",
                    fix: groupFix ?? "let \(owner) search \(blocker.path)")
            } else {
                report.fail(
                    step, "\(stage) as \(owner) to \(target) failed: \(reason): \(log)",
                    fix: "check the socket's directories and that the daemon runs")
            }
        }
        return false
    }

    /// The first directory on the way to `path` that `user` may not search, with the group
    /// that would let it in (when the group may search and the user is not a member).
    private static func blockingDirectory(for path: String, user: String) -> (path: String, ownership: String, group: String?)? {
        guard let identity = PrivilegeDroppedConnect.identity(of: user) else { return nil }
        var directory = ""
        for component in FileSystem.directory(of: path).split(separator: "/") {
            directory += "/\(component)"
            var info = stat()
            guard stat(directory, &info) == 0 else { return nil }
            let mode = info.st_mode
            let allowed =
                info.st_uid == identity.uid
                ? mode & 0o100 != 0
                : identity.groups.contains(info.st_gid) ? mode & 0o010 != 0 : mode & 0o001 != 0
            if !allowed {
                let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) }
                let offer = mode & 0o010 != 0 && !identity.groups.contains(info.st_gid) ? group : nil
                return (directory, FileSystem.describeOwnership(directory) ?? "", offer)
            }
        }
        return nil
    }
}
