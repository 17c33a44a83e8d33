#if canImport(Glibc)
import Glibc
#endif

/// Opens a file for reading only if nobody but root and the effective user could have written
/// it or put another file in its place: OpenSSH's `StrictModes` rule (`secure_filename`), for
/// a file that decides who may log in.
///
/// - The path must be absolute, and is resolved once with `realpath` (symlinks are allowed, as
///   OpenSSH allows them; the rules apply to the file they lead to and to its directories).
/// - The resolved path is then walked from `/` one component at a time with
///   `openat(openPath | O_DIRECTORY | O_NOFOLLOW)`, each directory checked with `fstat` on the
///   descriptor just opened, and the file opened relative to the last one with `O_NOFOLLOW`
///   and checked with `fstat` too. What is checked is therefore what is read: a symlink or a
///   directory swapped in after `realpath` makes the walk fail (closed), never bypass a check.
/// - Every directory from `/` down must belong to root or the effective user and must not be
///   writable by its group or others, except a root-owned sticky directory such as `/tmp`
///   (others may add entries there but cannot rename or remove ours).
/// - The file must be a regular file, belong to root or the effective user, and not be
///   writable by its group or others. Readable by others is only warned about (by the caller).
enum TrustedFileOpener {
    struct Opened {
        let descriptor: Int32
        let info: stat
    }

    /// Linux's `O_PATH` (a descriptor that names a directory without reading it, so a 0711
    /// directory can be walked by a non-root user); Glibc defines it only under `_GNU_SOURCE`,
    /// which Swift's import does not set. The value is the same on every Linux architecture
    /// we build for (x86-64, arm64).
    private static let openPath: Int32 = 0o10000000

    static func open(_ path: String) -> Result<Opened, ConfigFileReader.Failure> {
        guard path.utf8.first == UInt8(ascii: "/") else { return .failure(.relativePath) }
        guard let resolvedPointer = realpath(path, nil) else { return .failure(.cannotOpen(errno: errno)) }
        let resolved = String(cString: resolvedPointer)
        free(resolvedPointer)
        let components = resolved.split(separator: "/").map(String.init)
        guard let fileName = components.last else { return .failure(.notARegularFile) }

        var directory = Glibc.open("/", openPath | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return .failure(.cannotOpen(errno: errno)) }
        defer { close(directory) }
        var directoryPath = "/"
        if let problem = checkDirectory(directory, path: directoryPath) { return .failure(problem) }
        for component in components.dropLast() {
            let next = openat(directory, component, openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return .failure(.cannotOpen(errno: errno)) }
            close(directory)
            directory = next
            directoryPath += directoryPath == "/" ? component : "/" + component
            if let problem = checkDirectory(directory, path: directoryPath) { return .failure(problem) }
        }

        // O_NONBLOCK: a FIFO put in the file's place must not hang the login.
        let descriptor = openat(directory, fileName, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)
        guard descriptor >= 0 else { return .failure(.cannotOpen(errno: errno)) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            return .failure(.readFailed(errno: code))
        }
        let problem: ConfigFileReader.Failure? =
            if (info.st_mode & S_IFMT) != S_IFREG {
                .notARegularFile
            } else if !isTrustedOwner(info.st_uid) {
                .untrustedOwner(uid: info.st_uid)
            } else if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
                .writableByOthers(mode: info.st_mode)
            } else {
                nil
            }
        if let problem {
            close(descriptor)
            return .failure(problem)
        }
        return .success(Opened(descriptor: descriptor, info: info))
    }

    private static func checkDirectory(_ descriptor: Int32, path: String) -> ConfigFileReader.Failure? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .cannotOpen(errno: errno) }
        if !isTrustedOwner(info.st_uid) { return .untrustedDirectory(path: path, uid: info.st_uid) }
        let isRootSticky = info.st_uid == 0 && info.st_mode & S_ISVTX != 0
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0, !isRootSticky {
            return .writableDirectory(path: path, mode: info.st_mode)
        }
        return nil
    }

    private static func isTrustedOwner(_ uid: uid_t) -> Bool {
        uid == 0 || uid == geteuid()
    }
}
