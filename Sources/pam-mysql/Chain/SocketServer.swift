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

    /// "pam-mysql-authd (pid N)", "dovecot (pid N)".
    var label: String { "\(program) (pid \(pid))" }

    /// The listener of `path` (as the host sees it), nil when none is found.
    static func listening(on path: String, procRoot: String) -> SocketServer? {
        guard let wanted = FileSystem.realPath(path) else { return nil }
        let inodes = listeningInodes(bound: wanted, procRoot: procRoot)
        guard !inodes.isEmpty else { return nil }
        let links = Set(inodes.map { "socket:[\($0)]" })
        for pid in FileSystem.listDirectory(procRoot).compactMap({ Int32($0) }).sorted() {
            let entry = "\(pid)"
            let directory = FileSystem.join(procRoot, entry)
            let descriptors = FileSystem.join(directory, "fd")
            let holds = FileSystem.listDirectory(descriptors).contains { fd in
                readLink(FileSystem.join(descriptors, fd)).map(links.contains) ?? false
            }
            guard holds else { continue }
            let arguments = Check.readText(FileSystem.join(directory, "cmdline"))?.split(separator: "\0").map(String.init) ?? []
            return SocketServer(pid: pid, arguments: arguments, workingDirectory: readLink(FileSystem.join(directory, "cwd")))
        }
        return nil
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
