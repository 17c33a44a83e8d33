#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets systemd handed over (`LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`),
/// by name: `saslauthd`, `dovecot`, `control`. The variables are removed so children do not
/// inherit them; the descriptors get FD_CLOEXEC.
///
/// Interim: the ops branch's `ListenFDs` replaces this file.
enum InterimSocketActivation {
    static let firstDescriptor: Int32 = 3

    static func take() -> [(name: String, descriptor: Int32)] {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }), Int32(pidText) == getpid(),
            let countText = getenv("LISTEN_FDS").map({ String(cString: $0) }), let count = Int32(countText), count > 0, count < 64
        else { return [] }
        let names =
            getenv("LISTEN_FDNAMES").map { String(cString: $0).split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            ?? []
        return (0..<count).map { index in
            let descriptor = firstDescriptor + index
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            return (Int(index) < names.count ? names[Int(index)] : "unknown", descriptor)
        }
    }
}
