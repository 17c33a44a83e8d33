/// What a step returned, without its failure detail.
enum PAMStepKind {
    case success, failure, ignore
}

/// A control's full table: one action per libpam return value (0 to 31), as
/// `_pam_parse_control` and the keyword expansions of `_pam_parse_conf_file` build it.
struct ActionTable: Equatable {
    enum Entry: Equatable {
        case undefined, ok, done, bad, die, ignore, reset
        case jump(Int)
    }

    static let valueCount = 32
    /// `_pam_token_returns`, in PAM return-code order; index 25 is `ignore`.
    static let names = [
        "success", "open_err", "symbol_err", "service_err", "system_err", "buf_err", "perm_denied", "auth_err",
        "cred_insufficient", "authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd", "acct_expired",
        "session_err", "cred_unavail", "cred_expired", "cred_err", "no_module_data", "conv_err", "authtok_err",
        "authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again", "ignore", "abort",
        "authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete",
    ]
    private static let success = 0
    private static let newAuthtokRequired = 12
    private static let ignoreValue = 25

    var entries: [Entry]

    init(_ control: PAMControl) {
        entries = Array(repeating: .undefined, count: Self.valueCount)
        entries[Self.success] = control == .sufficient ? .done : .ok
        entries[Self.newAuthtokRequired] = control == .sufficient ? .done : .ok
        if control != .sufficient { entries[Self.ignoreValue] = .ignore }
        let otherwise: Entry =
            switch control {
            case .required: .bad
            case .requisite: .die
            case .sufficient: .ignore
            }
        fillDefault(otherwise)
    }

    /// nil for a bracket libpam itself would not accept (unknown value name or action).
    init?(bracket: String) {
        entries = Array(repeating: .undefined, count: Self.valueCount)
        var defaultEntry: Entry?
        for token in bracket.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let entry: Entry
            switch parts[1] {
            case "ok": entry = .ok
            case "done": entry = .done
            case "bad": entry = .bad
            case "die": entry = .die
            case "ignore": entry = .ignore
            case "reset": entry = .reset
            default:
                guard let jump = Int(parts[1]), jump > 0 else { return nil }
                entry = .jump(jump)
            }
            if parts[0] == "default" {
                defaultEntry = entry
            } else if let index = Self.names.firstIndex(of: String(parts[0])) {
                entries[index] = entry
            } else {
                return nil
            }
        }
        // libpam: values the bracket leaves out take `default`, and without one they are `bad`.
        fillDefault(defaultEntry ?? .bad)
    }

    private mutating func fillDefault(_ entry: Entry) {
        for index in entries.indices where entries[index] == .undefined { entries[index] = entry }
    }
}
