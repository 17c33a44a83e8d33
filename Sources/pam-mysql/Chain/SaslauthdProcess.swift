/// A running saslauthd, found in /proc (or the directory `PAM_MYSQL_PROC_ROOT` names): the
/// master of each instance, with its flags.
struct SaslauthdProcess {
    let pid: Int32
    let flags: SaslauthdFlags

    /// Every saslauthd master (a saslauthd whose parent is not a saslauthd: the workers are
    /// its children and share its command line).
    static func running(procRoot: String) -> [SaslauthdProcess] {
        var found: [Int32: (parent: Int32, arguments: [String])] = [:]
        for entry in FileSystem.listDirectory(procRoot) {
            guard let pid = Int32(entry) else { continue }
            let arguments = commandLine(FileSystem.join(procRoot, "\(entry)/cmdline"))
            guard let program = arguments.first, program.split(separator: "/").last == "saslauthd" else { continue }
            found[pid] = (parentPID(FileSystem.join(procRoot, "\(entry)/stat")) ?? 0, arguments)
        }
        return found.filter { found[$0.value.parent] == nil }
            .map { SaslauthdProcess(pid: $0.key, flags: SaslauthdFlags(arguments: Array($0.value.arguments.dropFirst()))) }
            .sorted { $0.pid < $1.pid }
    }

    private static func commandLine(_ path: String) -> [String] {
        guard let text = Check.readText(path) else { return [] }
        return text.split(separator: "\0").map(String.init)
    }

    /// Field 4 of /proc/PID/stat (after the parenthesised command name, which may hold blanks).
    private static func parentPID(_ path: String) -> Int32? {
        guard let text = Check.readText(path), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}
