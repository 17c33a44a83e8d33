/// pam_mysql's NSS-MySQL-style config file: `KEY = VALUE` lines.
///
/// Grammar, as the C scanner has it: leading blanks are skipped; `#` starts a comment only in
/// the very first column; the key ends at `=`, `;`, a blank or a line end; the value starts
/// after the blanks following `=` and runs to the first `;` or line end, trailing blanks
/// included; after an optional `;` only blanks and the line end may follow. Line ends are LF,
/// CR or CRLF. There is no quoting. A syntax error ends parsing; `ModuleConfiguration` then
/// uses none of the entries (pam_mysql kept those before it and silently lost the rest).
///
/// Deliberate difference: a last line without a newline counts (pam_mysql dropped it).
public struct ConfigFile {
    public struct Entry {
        public let key: String
        public let value: SecretBytes
        public let line: Int
    }

    public struct SyntaxError: Equatable, Sendable {
        public let line: Int
        public let message: String
    }

    public var entries: [Entry] = []
    public var syntaxError: SyntaxError?

    public init(parsing text: SecretBytes) {
        text.withUnsafeBytes { parse(UnsafeRawBufferPointer(rebasing: $0[...])) }
    }

    private mutating func parse(_ bytes: UnsafeRawBufferPointer) {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        let equals = UInt8(ascii: "=")
        let semicolon = UInt8(ascii: ";")
        let hash = UInt8(ascii: "#")
        var i = 0
        var line = 1
        func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
        func isLineEnd(_ b: UInt8) -> Bool { b == cr || b == lf }
        /// Consumes one line end (CRLF counts once) if there is one.
        func consumeLineEnd() {
            guard i < bytes.count, isLineEnd(bytes[i]) else { return }
            if bytes[i] == cr, i + 1 < bytes.count, bytes[i + 1] == lf { i += 1 }
            i += 1
            line += 1
        }
        /// Where a syntax error is, by column only: the line may hold the database password, so
        /// none of its text goes into the log.
        func describe(_ index: Int) -> String {
            guard index < bytes.count else { return "end of file" }
            var lineStart = index
            while lineStart > 0, !isLineEnd(bytes[lineStart - 1]) { lineStart -= 1 }
            if isLineEnd(bytes[index]) { return "end of line (column \(index - lineStart + 1))" }
            return "character at column \(index - lineStart + 1)"
        }

        while i < bytes.count {
            if bytes[i] == hash {
                while i < bytes.count, !isLineEnd(bytes[i]) { i += 1 }
                consumeLineEnd()
                continue
            }
            while i < bytes.count, isBlank(bytes[i]) { i += 1 }
            if i == bytes.count { break }
            if isLineEnd(bytes[i]) {
                consumeLineEnd()
                continue
            }
            let keyStart = i
            while i < bytes.count, !isBlank(bytes[i]), !isLineEnd(bytes[i]), bytes[i] != equals, bytes[i] != semicolon {
                i += 1
            }
            guard i > keyStart else {
                syntaxError = SyntaxError(line: line, message: "unexpected \(describe(i)) where a key was expected")
                return
            }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<i]), as: UTF8.self)
            while i < bytes.count, isBlank(bytes[i]) { i += 1 }
            guard i < bytes.count, bytes[i] == equals else {
                syntaxError = SyntaxError(line: line, message: "unexpected \(describe(i)) after key, expected \"=\"")
                return
            }
            i += 1
            while i < bytes.count, isBlank(bytes[i]) { i += 1 }
            let valueStart = i
            while i < bytes.count, !isLineEnd(bytes[i]), bytes[i] != semicolon { i += 1 }
            let value = SecretBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<i]))
            entries.append(Entry(key: key, value: value, line: line))
            if i < bytes.count, bytes[i] == semicolon {
                i += 1
                while i < bytes.count, isBlank(bytes[i]) { i += 1 }
                guard i == bytes.count || isLineEnd(bytes[i]) else {
                    syntaxError = SyntaxError(line: line, message: "unexpected \(describe(i)) after \";\"")
                    return
                }
            }
            consumeLineEnd()
        }
    }
}
