import AccountDatabase
internal import CPAM
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The one owner of libpam calls: items, the user, the conversation, module data, syslog.
struct PAMHandle {
    let raw: OpaquePointer

    /// `pam_get_user` with libpam's default prompt (`login:`), as pam_mysql calls it.
    func user() -> Result<[UInt8], Outcome> {
        var pointer: UnsafePointer<CChar>? = nil
        // pam_get_user may prompt ("login:"): the user's typing is not database time.
        let status = LoginDeadline.pausing { pam_get_user(raw, &pointer, nil) }
        guard status == PAM_SUCCESS else { return .failure(Outcome(pamCode: status)) }
        guard let pointer else { return .failure(.userUnknown) }
        return .success(Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))))
    }

    /// The password (`PAM_AUTHTOK`) or old password (`PAM_OLDAUTHTOK`) an earlier module
    /// stored, copied into a secret.
    enum Token {
        case current, old

        var item: Int32 { self == .current ? PAM_AUTHTOK : PAM_OLDAUTHTOK }
    }

    func token(_ which: Token = .current) -> Result<SecretBytes?, Outcome> {
        var item: UnsafeRawPointer? = nil
        let status = pam_get_item(raw, which.item, &item)
        guard status == PAM_SUCCESS else { return .failure(Outcome(pamCode: status)) }
        return .success(item.map { SecretBytes(cString: $0.assumingMemoryBound(to: CChar.self)) })
    }

    func authToken() -> Result<SecretBytes?, Outcome> { token(.current) }

    @discardableResult
    func setToken(_ which: Token = .current, _ value: SecretBytes) -> Int32 {
        value.withCString { pam_set_item(raw, which.item, $0) }
    }

    func setAuthToken(_ token: SecretBytes) -> Int32 { setToken(.current, token) }

    /// A string item such as `PAM_RHOST`, for log lines only.
    func stringItem(_ type: Int32) -> String? {
        var item: UnsafeRawPointer? = nil
        guard pam_get_item(raw, type, &item) == PAM_SUCCESS, let item else { return nil }
        return String(cString: item.assumingMemoryBound(to: CChar.self))
    }

    /// `PAM_RHOST`: where the user connects from, as the application says.
    func remoteHost() -> String? { stringItem(PAM_RHOST) }

    /// `PAM_SERVICE`: the application's service name (the verification cache keys on it).
    func serviceName() -> String? { stringItem(PAM_SERVICE) }

    enum PromptFailure: Error {
        case conversation(Int32)
    }

    /// Asks one question without echo. Returns nil when the application answered with no text.
    /// The application's copy of the answer is wiped and freed here.
    func promptHidden(_ text: String) -> Result<SecretBytes?, PromptFailure> {
        var response: UnsafeMutablePointer<CChar>? = nil
        // The user's typing is not database time (login_timeout bounds the database work).
        let status = LoginDeadline.pausing {
            text.withCString { prompt in
                pam_mysql_prompt_text(raw, PAM_PROMPT_ECHO_OFF, &response, prompt)
            }
        }
        defer {
            if let response {
                explicit_bzero(response, strlen(response))
                free(response)
            }
        }
        guard status == PAM_SUCCESS else { return .failure(.conversation(status)) }
        return .success(response.map { SecretBytes(cString: $0) })
    }

    /// Logs through `pam_syslog`, which adds `pam_mysql(service:function):` and uses authpriv.
    func log(_ priority: LogPriority, _ message: String) {
        message.withCString { text in
            pam_mysql_syslog_text(raw, priority.rawValue, text)
        }
    }

    func data(named name: String) -> UnsafeRawPointer? {
        var pointer: UnsafeRawPointer? = nil
        guard pam_get_data(raw, name, &pointer) == PAM_SUCCESS else { return nil }
        return pointer
    }

    func setData(
        named name: String, _ pointer: UnsafeMutableRawPointer,
        cleanup: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void
    ) -> Int32 {
        pam_set_data(raw, name, pointer, cleanup)
    }
}

/// The flags libpam passes a module function (`<security/_pam_types.h>`).
struct PAMFlags: OptionSet {
    let rawValue: Int32

    static let silent = PAMFlags(rawValue: Int32(PAM_SILENT))
    static let disallowNullAuthToken = PAMFlags(rawValue: Int32(PAM_DISALLOW_NULL_AUTHTOK))
    static let preliminaryCheck = PAMFlags(rawValue: Int32(PAM_PRELIM_CHECK))
    static let updateAuthToken = PAMFlags(rawValue: Int32(PAM_UPDATE_AUTHTOK))
    static let changeExpiredAuthToken = PAMFlags(rawValue: Int32(PAM_CHANGE_EXPIRED_AUTHTOK))
}

extension Outcome {
    /// For codes libpam hands back (from `pam_get_user`, `pam_get_item`), which pam_mysql
    /// passes on as they are.
    init(pamCode: Int32) {
        self = Outcome.allCases.first { $0.pamCode == pamCode } ?? .serviceError
    }
}
