/// One pam.d line. Splitting pam.d lines the way libpam does: fields separated by blanks, a `[...]` field kept
/// whole (brackets removed for module arguments, `\]` for a literal `]`).
public struct PAMLine: Sendable, Equatable {
    public let number: Int
    public let type: String
    public let control: String
    public let modulePath: String
    public let arguments: [String]
    /// A `-type` line: libpam skips it silently when the module file is missing.
    public let ignoresMissingModule: Bool

    /// Whether the module path names pam_mysql (ours or the C one: the same options).
    public var isOurModule: Bool {
        let name = modulePath.split(separator: "/").last.map(String.init) ?? modulePath
        return name == "pam_mysql.so" || (name.hasPrefix("pam_mysql") && name.hasSuffix(".so"))
    }

    public static func fields(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var inBracket = false
        var started = false
        var chars = Array(text)
        var i = 0
        // A `\` at the end of a line continues it; callers join lines first.
        while i < chars.count {
            let c = chars[i]
            if inBracket {
                if c == "\\", i + 1 < chars.count, chars[i + 1] == "]" {
                    current.append("]")
                    i += 2
                    continue
                }
                if c == "]" { inBracket = false } else { current.append(c) }
                i += 1
                continue
            }
            if c == " " || c == "\t" {
                if started { fields.append(current) }
                current = ""
                started = false
            } else if c == "[" && !started || c == "[" && current.hasSuffix("=") {
                inBracket = true
                started = true
            } else {
                current.append(c)
                started = true
            }
            i += 1
        }
        if started { fields.append(current) }
        chars.removeAll()
        return fields
    }

    /// Parses one line (`type control module args…`, or `module args…` with `moduleOnly`).
    public static func parse(_ text: String, number: Int, moduleOnly: Bool = false) -> PAMLine? {
        var body = text
        if let hash = body.firstIndex(of: "#") { body = String(body[..<hash]) }
        let f = fields(body)
        if moduleOnly {
            guard let module = f.first else { return nil }
            return PAMLine(number: number, type: "", control: "", modulePath: module, arguments: Array(f.dropFirst()))
        }
        if f.first == "@include", f.count >= 2 {
            return PAMLine(number: number, type: "@include", control: "", modulePath: f[1], arguments: [])
        }
        guard f.count >= 3 else { return nil }
        var type = f[0]
        let dashed = type.hasPrefix("-")
        if dashed { type.removeFirst() }
        // The control field may be a bracketed list: its text was collected without brackets.
        return PAMLine(
            number: number, type: type, control: f[1], modulePath: f[2], arguments: Array(f.dropFirst(3)),
            ignoresMissingModule: dashed)
    }

    /// Every line of a pam.d file naming our module.
    public static func ourLines(in text: String) -> [PAMLine] {
        lines(in: text).filter(\.isOurModule)
    }

    /// Every line of a pam.d file (comments and blank lines dropped, `\` continuations joined),
    /// numbered by the line it starts on. `@include` lines come back with type `@include`.
    public static func lines(in text: String) -> [PAMLine] {
        logicalLines(in: text).compactMap { parse($0.text, number: $0.number) }
    }

    /// The file's logical lines as libpam reads them: `\` continuations joined, comments and
    /// blank lines dropped, each numbered by the line it starts on. Lines too short to parse
    /// are kept, so a caller that must refuse them (the auth daemon) sees them.
    public static func logicalLines(in text: String) -> [(number: Int, text: String)] {
        var joined: [(number: Int, text: String)] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            let whole = pending + raw
            pending = ""
            let body = whole.firstIndex(of: "#").map { String(whole[..<$0]) } ?? whole
            if body.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            joined.append((start, whole))
        }
        if !pending.isEmpty, !pending.allSatisfy({ $0 == " " || $0 == "\t" }) { joined.append((start, pending)) }
        return joined
    }

    public init(
        number: Int, type: String, control: String, modulePath: String, arguments: [String], ignoresMissingModule: Bool = false
    ) {
        self.ignoresMissingModule = ignoresMissingModule
        self.number = number
        self.type = type
        self.control = control
        self.modulePath = modulePath
        self.arguments = arguments
    }
}
