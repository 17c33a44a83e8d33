/// The value syntaxes of the daemon's file and command line. Each returns nil for a value it
/// does not accept; the caller names the key and what would be accepted.
enum SettingValue {
    /// `sun_path` holds 108 bytes with the terminating NUL.
    static let maximumSocketPath = 107

    static func boolean(_ text: String) -> Bool? {
        switch asciiLowercase(text) {
        case "yes", "true", "on", "1": true
        case "no", "false", "off", "0": false
        default: nil
        }
    }

    static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text),
            range.contains(value)
        else { return nil }
        return value
    }

    /// Seconds with up to three decimals (`7.5`, `300`, `0.25`), within `range` (milliseconds).
    static func seconds(_ text: String, milliseconds range: ClosedRange<Int>) -> Duration? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in !part.isEmpty && part.utf8.count <= 6 && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard let whole = parts.first, isDigits(whole), let seconds = Int(whole) else { return nil }
        var milliseconds = seconds * 1000
        if parts.count == 2 {
            let fraction = parts[1]
            guard isDigits(fraction), fraction.utf8.count <= 3, let digits = Int(fraction) else { return nil }
            milliseconds += digits * [100, 10, 1][fraction.utf8.count - 1]
        }
        guard range.contains(milliseconds) else { return nil }
        return .milliseconds(milliseconds)
    }

    /// An octal mode such as `0660` or `660`, permission bits only.
    static func mode(_ text: String) -> UInt32? {
        guard (3...4).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 55 }), let mode = UInt32(text, radix: 8),
            mode <= 0o777
        else { return nil }
        return mode
    }

    /// A user or group name (as useradd takes it) or a number.
    static func account(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 32, text.utf8.first != UInt8(ascii: "-") else { return nil }
        let ok = text.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_")
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
        }
        return ok ? text : nil
    }

    /// An absolute path (a socket's within `sun_path`).
    static func path(_ text: String, socket: Bool) -> String? {
        guard text.utf8.first == UInt8(ascii: "/"), !text.utf8.contains(0), !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
        else { return nil }
        if socket, text.utf8.count > maximumSocketPath { return nil }
        return text
    }

    static func logTarget(_ text: String) -> AuthdLogTarget? {
        switch text {
        case "syslog": return .syslog
        case "stderr": return .stderr
        default: return path(text, socket: false).map { .file($0) }
        }
    }

    static let socketPathExpected = "an absolute path of at most \(maximumSocketPath) bytes"
    static let logExpected = "syslog, stderr or an absolute path"
}
