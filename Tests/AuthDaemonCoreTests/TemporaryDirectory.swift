import Foundation
import Glibc
import XCTest

/// A fresh 0700 directory under /tmp (root-owned sticky: the one kind of writable directory the
/// module's reader accepts above a file), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String) throws {
        var template = Array("/tmp/pmtest-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            XCTFail("mkdtemp failed")
            throw POSIXError(.EIO)
        }
        path = String(cString: made)
    }

    @discardableResult
    func write(_ name: String, _ content: String, mode: mode_t = 0o644) -> String {
        let file = "\(path)/\(name)"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(content.utf8)), file)
        chmod(file, mode)
        return file
    }

    func remove() {
        _ = try? FileManager.default.removeItem(atPath: path)
    }
}
