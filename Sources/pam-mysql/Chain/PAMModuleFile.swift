/// The file libpam loads for a pam.d line's module field: an absolute path as written, a bare
/// name under libpam's module directory (`/lib/<multiarch>/security`); with the Debian
/// package that owns it and a dpkg diversion, if any (a diverted pam_mysql.so is the usual
/// way one module silently replaces the other).
struct PAMModuleFile {
    let written: String
    let path: String
    let exists: Bool
    let realPath: String?
    let package: String?
    let diversion: String?

    static func resolve(_ module: String, moduleDirectory: String) -> PAMModuleFile {
        let path = module.hasPrefix("/") ? module : FileSystem.join(moduleDirectory, module)
        let real = FileSystem.realPath(path)
        guard real != nil else {
            return PAMModuleFile(written: module, path: path, exists: false, realPath: nil, package: nil, diversion: nil)
        }
        return PAMModuleFile(
            written: module, path: path, exists: true, realPath: real, package: owningPackage(path, real: real),
            diversion: diversion(of: path))
    }

    /// `dpkg -S`: tried on the path, its merged-/usr twin and the resolved path.
    private static func owningPackage(_ path: String, real: String?) -> String? {
        var candidates = [path]
        if path.hasPrefix("/usr/lib/") { candidates.append(String(path.dropFirst(4))) }
        if path.hasPrefix("/lib/") { candidates.append("/usr" + path) }
        if let real, !candidates.contains(real) { candidates.append(real) }
        for candidate in candidates {
            guard let result = ChildProcess.run(["dpkg", "-S", candidate], timeout: 20), result.status == 0 else { continue }
            for line in result.output.split(separator: "\n") where !line.hasPrefix("diversion") {
                if let colon = line.firstIndex(of: ":") { return String(line[..<colon]) }
            }
        }
        return nil
    }

    /// `dpkg-divert --list PATH`: "diversion of A to B by PKG".
    private static func diversion(of path: String) -> String? {
        var candidates = [path]
        if path.hasPrefix("/lib/") { candidates.append("/usr" + path) }
        if path.hasPrefix("/usr/lib/") { candidates.append(String(path.dropFirst(4))) }
        for candidate in candidates {
            guard let result = ChildProcess.run(["dpkg-divert", "--list", candidate], timeout: 20) else { continue }
            let line = result.output.split(separator: "\n").first.map(String.init) ?? ""
            if !line.isEmpty { return line }
        }
        return nil
    }

    var description: String {
        var text = path
        if let realPath, realPath != path { text += " (-> \(realPath))" }
        text += package.map { ", package \($0)" } ?? ", not from a package"
        if let diversion { text += "; \(diversion)" }
        return text
    }
}
