/// The control flags the daemon applies exactly as libpam does: `required`, `requisite` and
/// `sufficient` (libpam compares the keywords without case), and the bracketed forms that are
/// exactly what libpam expands those keywords to (`pam_handlers.c`), such as
/// `[success=ok new_authtok_reqd=ok ignore=ignore default=bad]` for `required`.
///
/// Everything else is refused: `optional` (its result counts only when it is the only module,
/// a rule that makes stacks hard to read), `include`/`substack` (other files), and every other
/// bracket (jumps, `reset`, mixed actions). A bracket is compared as a whole table of the 32
/// return values, so the order of its entries does not matter and a redundant entry is fine.
public enum PAMControl: String, Sendable, Equatable, CaseIterable {
    case required
    case requisite
    case sufficient

    /// Why a control field is refused (the field itself is safe to show: it is an admin's file).
    public enum Refusal: Error, Equatable, Sendable {
        case unsupportedKeyword(String)
        case unsupportedBracket(String)

        public var message: String {
            switch self {
            case .unsupportedKeyword(let word):
                "control \"\(word)\" is not one pam-mysql-authd applies exactly (use required, requisite or sufficient)"
            case .unsupportedBracket(let text):
                "control [\(text)] is not equivalent to required, requisite or sufficient (jumps, reset and mixed actions are refused)"
            }
        }
    }

    /// Parses a control field as `PAMLine` hands it over (a bracketed field without its brackets).
    /// `isBracket` says whether the line had brackets there; nil guesses from the text (a field
    /// with `=` or blanks, or an empty one). It matters for `[required]`: libpam reads that as a
    /// bracket without `=`, a parse error that makes every result `bad` (the line always fails),
    /// so it is refused rather than taken for `required`.
    public static func parse(_ field: String, isBracket: Bool? = nil) -> Result<PAMControl, Refusal> {
        let isBracket = isBracket ?? (field.contains("=") || field.contains(" ") || field.contains("\t") || field.isEmpty)
        if !isBracket {
            let word = asciiLowercase(field)
            guard let control = PAMControl(rawValue: word) else { return .failure(.unsupportedKeyword(field)) }
            return .success(control)
        }
        guard let table = ActionTable(bracket: field) else { return .failure(.unsupportedBracket(field)) }
        for control in PAMControl.allCases where ActionTable(control) == table { return .success(control) }
        return .failure(.unsupportedBracket(field))
    }

    /// libpam's action for a module's result under this control (`_PAM_ACTION_*`), reduced to
    /// the results a step of the daemon has.
    enum Action: Equatable {
        case ok, done, bad, die, ignore
    }

    func action(for result: PAMStepKind) -> Action {
        switch (self, result) {
        case (_, .ignore): .ignore
        case (.required, .success), (.requisite, .success): .ok
        case (.sufficient, .success): .done
        case (.required, .failure): .bad
        case (.requisite, .failure): .die
        case (.sufficient, .failure): .ignore
        }
    }
}

func asciiLowercase(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
}
