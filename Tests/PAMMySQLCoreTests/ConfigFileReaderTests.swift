import Glibc
import PAMMySQLCore
import XCTest

/// Which files `ConfigFileReader` refuses, and with which message (the module logs
/// "config file <path> <message>" and answers PAM_SERVICE_ERR). The ownership cases need root,
/// which `make unit-test` has here (as the integration tests do); they are skipped otherwise.
final class ConfigFileReaderTests: XCTestCase {
    var base = ""

    override func setUpWithError() throws {
        // mkdtemp: 0700 under root-owned sticky /tmp, the one kind of writable directory allowed.
        var template = Array("/tmp/pmtest-reader-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw XCTSkip("mkdtemp failed") }
        base = String(cString: made)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: base)
    }

    @discardableResult
    func file(_ name: String, mode: mode_t = 0o600, content: String = "users.table = users\n", owner: uid_t? = nil) -> String {
        let path = "\(base)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(content.utf8))
        chmod(path, mode)
        if let owner { chown(path, owner, gid_t(owner)) }
        return path
    }

    func directory(_ name: String, mode: mode_t, owner: uid_t? = nil) -> String {
        let path = "\(base)/\(name)"
        mkdir(path, 0o700)
        chmod(path, mode)
        if let owner { chown(path, owner, gid_t(owner)) }
        return path
    }

    func failure(_ path: String) -> ConfigFileReader.Failure? {
        if case .failure(let failure) = ConfigFileReader.read(path: path) { return failure }
        return nil
    }

    func requireRoot() throws {
        if geteuid() != 0 { throw XCTSkip("needs root to give files away") }
    }

    func testAGoodFileIsRead() throws {
        let path = file("good.conf", mode: 0o640)
        guard case .success(let contents) = ConfigFileReader.read(path: path) else {
            return XCTFail("\(ConfigFileReader.read(path: path))")
        }
        XCTAssertEqual(contents.text.withUnsafeBytes { Array($0) }, Array("users.table = users\n".utf8))
        XCTAssertFalse(contents.isWorldReadable)
    }

    func testWorldReadableIsReadButFlagged() {
        guard case .success(let contents) = ConfigFileReader.read(path: file("world.conf", mode: 0o644)) else { return XCTFail() }
        XCTAssertTrue(contents.isWorldReadable)
    }

    func testRefusalsAndTheirMessages() throws {
        let big = file("big.conf", content: String(repeating: "#", count: ConfigFileReader.maximumSize + 1))
        let fifo = "\(base)/fifo.conf"
        mkfifo(fifo, 0o600)
        let vectors: [(path: String, failure: ConfigFileReader.Failure, message: String)] = [
            ("pam-mysql.conf", .relativePath, "is not an absolute path (it would be looked up in the calling program's working directory)"),
            ("", .relativePath, "is not an absolute path (it would be looked up in the calling program's working directory)"),
            ("\(base)/missing.conf", .cannotOpen(errno: ENOENT), "cannot be opened (No such file or directory)"),
            ("/etc/passwd/pam-mysql.conf", .cannotOpen(errno: ENOTDIR), "cannot be opened (Not a directory)"),
            (base, .notARegularFile, "is not a regular file"),
            (fifo, .notARegularFile, "is not a regular file"),
            (big, .tooLarge(size: 65537), "is 65537 bytes, more than 65536"),
            (
                file("group-writable.conf", mode: 0o660), .writableByOthers(mode: 0o100660),
                "can be written by its group or by others (mode 0660): chmod go-w it"
            ),
            (
                file("world-writable.conf", mode: 0o602), .writableByOthers(mode: 0o100602),
                "can be written by its group or by others (mode 0602): chmod go-w it"
            ),
        ]
        for vector in vectors {
            XCTAssertEqual(failure(vector.path), vector.failure, vector.path)
            XCTAssertEqual(vector.failure.message, vector.message)
        }
    }

    func testDirectoriesOthersMayWriteAreRefused() throws {
        let open = directory("open", mode: 0o777)
        let group = directory("group", mode: 0o770)
        let sticky = directory("sticky", mode: 0o1777)
        for dir in [open, group, sticky] { FileManager.default.createFile(atPath: "\(dir)/x.conf", contents: Data("a = b\n".utf8)) }
        for dir in [open, group, sticky] { chmod("\(dir)/x.conf", 0o600) }
        XCTAssertEqual(failure("\(open)/x.conf"), .writableDirectory(path: open, mode: 0o40777))
        XCTAssertEqual(failure("\(group)/x.conf"), .writableDirectory(path: group, mode: 0o40770))
        XCTAssertEqual(
            ConfigFileReader.Failure.writableDirectory(path: open, mode: 0o40777).message,
            "is in directory \(open), which its group or others can write (mode 0777) and which is not a root-owned sticky directory")
        // A sticky directory owned by the effective user (root here) is accepted, as /tmp is.
        if geteuid() == 0 { XCTAssertNil(failure("\(sticky)/x.conf")) }
    }

    func testFilesAndDirectoriesOfOtherUsersAreRefused() throws {
        try requireRoot()
        let nobody: uid_t = 65534
        XCTAssertEqual(failure(file("theirs.conf", owner: nobody)), .untrustedOwner(uid: nobody))
        XCTAssertEqual(
            ConfigFileReader.Failure.untrustedOwner(uid: nobody).message,
            "is owned by uid 65534: it must belong to root or to the user the module runs as")
        let theirs = directory("theirs", mode: 0o755, owner: nobody)
        FileManager.default.createFile(atPath: "\(theirs)/x.conf", contents: Data("a = b\n".utf8))
        chmod("\(theirs)/x.conf", 0o600)
        XCTAssertEqual(failure("\(theirs)/x.conf"), .untrustedDirectory(path: theirs, uid: nobody))
        // A sticky directory others may write is only trusted when root owns it.
        let theirSticky = directory("their-sticky", mode: 0o1777, owner: nobody)
        FileManager.default.createFile(atPath: "\(theirSticky)/x.conf", contents: Data("a = b\n".utf8))
        chmod("\(theirSticky)/x.conf", 0o600)
        XCTAssertEqual(failure("\(theirSticky)/x.conf"), .untrustedDirectory(path: theirSticky, uid: nobody))
    }

    /// Symlinks are followed once (realpath), and the rules apply to where they lead.
    func testSymlinksAreJudgedByTheirTarget() throws {
        let good = file("good.conf")
        symlink(good, "\(base)/link.conf")
        XCTAssertNil(failure("\(base)/link.conf"))
        let open = directory("open", mode: 0o777)
        FileManager.default.createFile(atPath: "\(open)/x.conf", contents: Data("a = b\n".utf8))
        chmod("\(open)/x.conf", 0o600)
        symlink("\(open)/x.conf", "\(base)/into-open.conf")
        XCTAssertEqual(failure("\(base)/into-open.conf"), .writableDirectory(path: open, mode: 0o40777))
        symlink("\(base)/nowhere", "\(base)/dangling.conf")
        XCTAssertEqual(failure("\(base)/dangling.conf"), .cannotOpen(errno: ENOENT))
    }

    /// Debian's /etc/pam-mysql.conf (0640 root:root in /etc) must keep working.
    func testTheInstalledDebianFileIsAccepted() throws {
        try requireRoot()
        guard access("/etc/pam-mysql.conf", F_OK) == 0 else { throw XCTSkip("no /etc/pam-mysql.conf here") }
        guard case .success = ConfigFileReader.read(path: "/etc/pam-mysql.conf") else {
            return XCTFail("\(ConfigFileReader.read(path: "/etc/pam-mysql.conf"))")
        }
    }
}
