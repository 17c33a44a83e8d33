#if canImport(Glibc)
import Glibc
#endif

/// The process listening on a Unix socket path, found as `ss -xlp` finds it: the socket's inode
/// from the kernel's table (`net/unix`), then the process holding a descriptor that links to
/// `socket:[INODE]`. Only the processes of the proc root are searched (`PAM_MYSQL_PROC_ROOT`
/// in the tests: a directory of links to some /proc entries, which has no `net/unix`; the
/// machine's /proc/net/unix is read then). The socket file's own inode is not the socket's:
/// the table's path is how the two are matched.
struct SocketServer {
    let pid: Int32
    /// Its command line (argv[0] first).
    let arguments: [String]
    /// The directory it runs in (relative paths of its command line are relative to it).
    let workingDirectory: String?

    /// The program's name: argv[0]'s last component, or a title as a process set it
    /// (Dovecot's children call themselves `dovecot/auth`).
    var program: String {
        guard let first = arguments.first, !first.isEmpty else { return "?" }
        if first.hasPrefix("/") { return first.split(separator: "/").last.map(String.init) ?? first }
        return first.split(separator: " ").first.map(String.init) ?? first
    }

    /// Whether this is our auth daemon.
    var isAuthDaemon: Bool { program == "pam-mysql-authd" }

    /// A service manager holding the socket for a daemon it starts on the first connection
    /// (systemd's socket units; systemd-socket-activate, which then execs the daemon in place).
    var isServiceManager: Bool { pid == 1 || program == "systemd" || program == "systemd-socket-activate" }

    /// Set when this check's connect() started the daemon (socket activation).
    private(set) var startedByActivation = false

    /// "pam-mysql-authd (pid N)", "dovecot (pid N)".
    var label: String {
        "\(program) (pid \(pid)\(startedByActivation ? ", started by socket activation on this check's connect()" : ""))"
    }

    /// The process serving `path`: as `listening`, but a socket only a service manager holds
    /// is connected to once (which starts its service, as the first client would) and looked
    /// at again for up to 3 seconds.
    static func serving(_ path: String, procRoot: String) -> SocketServer? {
        let found = listening(on: path, procRoot: procRoot)
        guard let manager = found, manager.isServiceManager else { return found }
        _ = UnixSocketConnection.connect(path, timeout: 2)  // closed at once: only the start matters
        for _ in 0..<30 {
            usleep(100_000)
            if var now = listening(on: path, procRoot: procRoot), !now.isServiceManager {
                now.startedByActivation = true
                return now
            }
        }
        return found
    }

    /// The listener of `path` (as the host sees it), nil when none is found. Of several
    /// processes holding it (a service manager and the daemon it passed the socket to, a
    /// master and its children), pam-mysql-authd, else one that is not a service manager.
    static func listening(on path: String, procRoot: String) -> SocketServer? {
        let holders = holders(of: path, procRoot: procRoot)
        return holders.first { $0.isAuthDaemon } ?? holders.first { !$0.isServiceManager } ?? holders.first
    }

    /// Every process of the proc root with a descriptor on a listening socket bound to `path`,
    /// by pid.
    static func holders(of path: String, procRoot: String) -> [SocketServer] {
        guard let wanted = FileSystem.realPath(path) else { return [] }
        let inodes = listeningInodes(bound: wanted, procRoot: procRoot)
        guard !inodes.isEmpty else { return [] }
        let links = Set(inodes.map { "socket:[\($0)]" })
        var found: [SocketServer] = []
        for pid in FileSystem.listDirectory(procRoot).compactMap({ Int32($0) }).sorted() {
            let entry = "\(pid)"
            let directory = FileSystem.join(procRoot, entry)
            let descriptors = FileSystem.join(directory, "fd")
            let holds = FileSystem.listDirectory(descriptors).contains { fd in
                readLink(FileSystem.join(descriptors, fd)).map(links.contains) ?? false
            }
            guard holds else { continue }
            let arguments = Check.readText(FileSystem.join(directory, "cmdline"))?.split(separator: "\0").map(String.init) ?? []
            found.append(SocketServer(pid: pid, arguments: arguments, workingDirectory: readLink(FileSystem.join(directory, "cwd"))))
        }
        return found
    }

    /// The inodes of the listening sockets bound to `path` (canonical). Lines of net/unix:
    /// `Num RefCount Protocol Flags Type St Inode Path`; `__SO_ACCEPTCON` (0x10000) in Flags
    /// marks a listener.
    static func listeningInodes(bound path: String, procRoot: String) -> [String] {
        let table = Check.readText(FileSystem.join(procRoot, "net/unix")) ?? Check.readText("/proc/net/unix") ?? ""
        var inodes: [String] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: true)
            guard fields.count == 8, let flags = UInt32(fields[3], radix: 16), flags & 0x10000 != 0 else { continue }
            let bound = String(fields[7])
            guard bound.hasPrefix("/"), bound == path || FileSystem.realPath(bound) == path else { continue }
            inodes.append(String(fields[6]))
        }
        return inodes
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
