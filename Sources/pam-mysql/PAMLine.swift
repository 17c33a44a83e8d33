/// Splitting pam.d lines the way libpam does: fields separated by blanks, a `[...]` field kept
/// whole (brackets removed for module arguments, `\]` for a literal `]`).
struct PAMLine {
    let number: Int
    let type: String
    let control: String
    let modulePath: String
    let arguments: [String]

    /// Whether the module path names pam_mysql (ours or the C one: the same options).
    var isOurModule: Bool {
        let name = modulePath.split(separator: "/").last.map(String.init) ?? modulePath
        return name == "pam_mysql.so" || (name.hasPrefix("pam_mysql") && name.hasSuffix(".so"))
    }

    static func fields(_ text: String) -> [String] {
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
    static func parse(_ text: String, number: Int, moduleOnly: Bool = false) -> PAMLine? {
        var body = text
        if let hash = body.firstIndex(of: "#") { body = String(body[..<hash]) }
        let f = fields(body)
        if moduleOnly {
            guard let module = f.first else { return nil }
            return PAMLine(number: number, type: "", control: "", modulePath: module, arguments: Array(f.dropFirst()))
        }
        guard f.count >= 3 else { return nil }
        var type = f[0]
        if type.hasPrefix("-") { type.removeFirst() }
        // The control field may be a bracketed list: its text was collected without brackets.
        return PAMLine(number: number, type: type, control: f[1], modulePath: f[2], arguments: Array(f.dropFirst(3)))
    }

    /// Every line of a pam.d file naming our module.
    static func ourLines(in text: String) -> [PAMLine] {
        var joined: [(Int, String)] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { start = index + 1 }
            if raw.hasSuffix("\\") {
                pending += raw.dropLast() + " "
                continue
            }
            joined.append((start, pending + raw))
            pending = ""
        }
        return joined.compactMap { parse($0.1, number: $0.0) }.filter(\.isOurModule)
    }
}

/// Edit distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var row = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = row
    }
    return previous[b.count]
}

func closest(to name: String, among candidates: [String]) -> String? {
    let lowered = name.lowercased()
    let best = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(2, name.count / 3) else { return nil }
    return best.0
}
