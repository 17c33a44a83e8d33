import PAMMySQLCore

/// `/etc/pam-mysql-authd.conf`, split into sections and entries (no meaning yet).
///
/// Grammar: lines end with LF (a CR before it is dropped). Leading and trailing blanks are
/// dropped. A line starting with `#` or `;` is a comment (there are no comments after a value:
/// a password may contain `#`). `[daemon]` and `[service NAME]` start sections. Every other line
/// is `key = value`; the value is everything after the `=`, blanks around it dropped, no quoting
/// (the value may be empty). Values are kept as `SecretBytes` and never shown.
struct AuthdConfigFile {
    struct Entry {
        let key: String
        let value: SecretBytes
        let line: Int

        var text: String { value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
    }

    enum SectionKind: Equatable {
        case daemon
        case service(ServiceName)
        /// A header that was refused (its error is reported once); its keys are not checked.
        case invalid
    }

    struct Section {
        let kind: SectionKind
        let line: Int
        var entries: [Entry] = []
    }

    var sections: [Section] = []
    var errors: [AuthdConfigurationError] = []

    init(parsing text: SecretBytes, path: String) {
        text.withUnsafeBytes { parse(UnsafeRawBufferPointer(rebasing: $0[...]), path: path) }
    }

    private mutating func parse(_ bytes: UnsafeRawBufferPointer, path: String) {
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            parseLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), number: lineNumber, path: path)
            if end == bytes.count { break }
            start = end + 1
        }
    }

    private mutating func parseLine(_ raw: UnsafeRawBufferPointer, number: Int, path: String) {
        let isBlank = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") }
        var lower = raw.startIndex
        var upper = raw.endIndex
        while lower < upper, isBlank(raw[lower]) { lower += 1 }
        while upper > lower, isBlank(raw[upper - 1]) { upper -= 1 }
        guard lower < upper else { return }
        let first = raw[lower]
        if first == UInt8(ascii: "#") || first == UInt8(ascii: ";") { return }
        if first == UInt8(ascii: "[") {
            guard raw[upper - 1] == UInt8(ascii: "]") else {
                errors.append(AuthdConfigurationError(file: path, line: number, problem: .syntax("section header without \"]\"")))
                return
            }
            let header = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(lower + 1)..<(upper - 1)]), as: UTF8.self)
            let words = header.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let kind: SectionKind
            if words.count == 1, words[0] == "daemon" {
                kind = .daemon
            } else if words.count == 2, words[0] == "service" {
                do {
                    kind = .service(try ServiceName(validating: String(words[1])))
                } catch {
                    errors.append(AuthdConfigurationError(file: path, line: number, problem: .invalidServiceName(error)))
                    sections.append(Section(kind: .invalid, line: number))
                    return
                }
            } else {
                errors.append(AuthdConfigurationError(file: path, line: number, problem: .unknownSection(shown: LogText.escaped(header))))
                sections.append(Section(kind: .invalid, line: number))
                return
            }
            if sections.contains(where: { $0.kind == kind }) {
                errors.append(AuthdConfigurationError(file: path, line: number, problem: .duplicateSection))
            }
            sections.append(Section(kind: kind, line: number))
            return
        }
        guard let equals = raw[lower..<upper].firstIndex(of: UInt8(ascii: "=")) else {
            errors.append(AuthdConfigurationError(file: path, line: number, problem: .syntax("expected key = value")))
            return
        }
        var keyEnd = equals
        while keyEnd > lower, isBlank(raw[keyEnd - 1]) { keyEnd -= 1 }
        var valueStart = equals + 1
        while valueStart < upper, isBlank(raw[valueStart]) { valueStart += 1 }
        let keyBytes = UnsafeRawBufferPointer(rebasing: raw[lower..<keyEnd])
        let key = String(decoding: keyBytes, as: UTF8.self)
        guard !key.isEmpty else {
            errors.append(AuthdConfigurationError(file: path, line: number, problem: .syntax("\"=\" without a key")))
            return
        }
        guard !sections.isEmpty else {
            errors.append(AuthdConfigurationError(file: path, line: number, key: key, problem: .keyOutsideSection))
            return
        }
        let value = SecretBytes(copying: UnsafeRawBufferPointer(rebasing: raw[valueStart..<upper]))
        sections[sections.count - 1].entries.append(Entry(key: key, value: value, line: number))
    }
}
