/// The verdicts of one `check`: `OK`, `WARN` or `FAIL`, the step, what was found and the fix.
/// As text (the default) each is printed as it comes; with `--json` they are collected and
/// `finish()` prints one JSON document. Nothing secret ever reaches it: messages come from
/// option names, MariaDB's error texts (which never contain a password) and counts.
final class Report {
    enum Verdict: String {
        case ok, warn, fail

        /// The word of a text line, padded to one width.
        var word: String {
            switch self {
            case .ok: "OK  "
            case .warn: "WARN"
            case .fail: "FAIL"
            }
        }
    }

    struct Entry {
        let verdict: Verdict
        let step: String
        let detail: String
        let fix: String?
        /// The `== …` heading the entry came under (the pam.d line, or a link of the chain).
        let section: String?
    }

    /// A line that is no verdict (a hint such as "give a USER"), with its section.
    struct Note {
        let text: String
        let section: String?
    }

    let json: Bool
    private(set) var entries: [Entry] = []
    private(set) var notes: [Note] = []
    private(set) var section: String?

    init(json: Bool = false) { self.json = json }

    var failed: Bool { entries.contains { $0.verdict == .fail } }
    var warned: Bool { entries.contains { $0.verdict == .warn } }
    /// The worst verdict: the document's `result`.
    var result: Verdict { failed ? .fail : warned ? .warn : .ok }

    func ok(_ step: String, _ detail: String = "") {
        emit(.ok, step, detail, fix: nil)
    }

    func warn(_ step: String, _ detail: String, fix: String? = nil) {
        emit(.warn, step, detail, fix: fix)
    }

    func fail(_ step: String, _ detail: String, fix: String) {
        emit(.fail, step, detail, fix: fix)
    }

    /// A line of text. One starting with `== ` is a heading: the entries after it carry its
    /// title as their section.
    func info(_ text: String) {
        if text.hasPrefix("== ") {
            section = String(text.dropFirst(3))
        } else if json {
            notes.append(Note(text: text, section: section))
        }
        if !json { print(text) }
    }

    /// Starts a section (`== title` in the text).
    func heading(_ title: String) { info("== \(title)") }

    private func emit(_ verdict: Verdict, _ step: String, _ detail: String, fix: String?) {
        entries.append(Entry(verdict: verdict, step: step, detail: detail, fix: fix, section: section))
        guard !json else { return }
        var line = "\(verdict.word)  \(step)"
        if !detail.isEmpty { line += ": \(detail)" }
        if let fix { line += " -- fix: \(fix)" }
        print(line)
    }

    /// With `--json`, prints the document: `{"result": …, "checks": […], "notes": […]}`.
    func finish() {
        guard json else { return }
        let checks = entries.map { entry in
            JSONText.object([
                ("verdict", JSONText.string(entry.verdict.rawValue)), ("step", JSONText.string(entry.step)),
                ("detail", JSONText.string(entry.detail)), ("fix", entry.fix.map(JSONText.string) ?? "null"),
                ("section", entry.section.map(JSONText.string) ?? "null"),
            ])
        }
        let noteValues = notes.map { note in
            JSONText.object([("text", JSONText.string(note.text)), ("section", note.section.map(JSONText.string) ?? "null")])
        }
        print(
            JSONText.object([
                ("result", JSONText.string(result.rawValue)), ("checks", JSONText.array(checks)), ("notes", JSONText.array(noteValues)),
            ]))
    }
}
