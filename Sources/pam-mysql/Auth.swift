import CPAMAppl
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// `pam-mysql auth`: one login through libpam, like pamtester.
enum PAMLogin {
    /// What the conversation answers with: the password, asked for once.
    final class Conversation {
        let readPassword: () -> SecretBytes?
        var password: SecretBytes?
        var asked = false
        init(readPassword: @escaping () -> SecretBytes?) { self.readPassword = readPassword }

        func answer(_ style: Int32, _ text: String) -> SecretBytes? {
            switch style {
            case PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON:
                if !asked {
                    asked = true
                    password = readPassword()
                }
                return password
            case PAM_ERROR_MSG:
                printError(text)
                return SecretBytes([])
            default:
                print(text)
                return SecretBytes([])
            }
        }
    }

    static func describe(_ handle: OpaquePointer?, _ code: Int32) -> String {
        "\(String(cString: pam_strerror(handle, code))) (\(code))"
    }

    /// Returns the last PAM code (PAM_SUCCESS when both steps succeeded).
    static func run(service: String, user: String, conversation: Conversation) -> Int32 {
        let box = Unmanaged.passRetained(conversation)
        defer { box.release() }
        var conv = pam_conv(
            conv: { count, messages, responses, appdata in
                guard let messages, let responses, let appdata, count > 0 else { return PAM_CONV_ERR }
                let conversation = Unmanaged<Conversation>.fromOpaque(appdata).takeUnretainedValue()
                guard
                    let replies = calloc(Int(count), MemoryLayout<pam_response>.size)?
                        .bindMemory(to: pam_response.self, capacity: Int(count))
                else { return PAM_BUF_ERR }
                for index in 0..<Int(count) {
                    guard let message = messages[index]?.pointee else { continue }
                    let text = message.msg.map { String(cString: $0) } ?? ""
                    guard let value = conversation.answer(message.msg_style, text) else {
                        for j in 0..<index { free(replies[j].resp) }
                        free(replies)
                        return PAM_CONV_ERR
                    }
                    let copy = malloc(value.count + 1)!.assumingMemoryBound(to: CChar.self)
                    value.withUnsafeBytes { bytes in
                        if let base = bytes.baseAddress { memcpy(copy, base, bytes.count) }
                    }
                    copy[value.count] = 0
                    replies[index] = pam_response(resp: copy, resp_retcode: 0)
                }
                responses.pointee = replies
                return PAM_SUCCESS
            },
            appdata_ptr: box.toOpaque())
        var handle: OpaquePointer? = nil
        let started = pam_start(service, user, &conv, &handle)
        guard started == PAM_SUCCESS, let handle else {
            print("pam_start: \(describe(handle, started))")
            return started
        }
        var code = pam_authenticate(handle, 0)
        print("pam_authenticate: \(describe(handle, code))")
        if code == PAM_SUCCESS {
            code = pam_acct_mgmt(handle, 0)
            print("pam_acct_mgmt: \(describe(handle, code))")
        }
        _ = pam_end(handle, code)
        return code
    }
}
