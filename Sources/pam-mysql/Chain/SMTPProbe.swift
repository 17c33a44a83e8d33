import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// `--smtp HOST:PORT`: what a mail client (or swaks) sees: the greeting and EHLO, STARTTLS
/// through `openssl s_client -starttls smtp` when offered, the AUTH mechanisms, and with a
/// password AUTH PLAIN with its reply. The password goes to s_client's standard input, never
/// into an argument.
struct SMTPProbe {
    let report: Report
    let address: String

    func run(user: String?, password: SecretBytes?) {
        let step = "SMTP \(address)"
        guard
            let plain = ChildProcess(
                ["openssl", "s_client", "-connect", address, "-quiet", "-starttls", "smtp", "-verify_quiet"], mergeStandardError: true)
        else {
            report.fail(step, "cannot run openssl s_client", fix: "install openssl")
            return
        }
        // s_client has done EHLO and STARTTLS when it prints nothing but the server's lines.
        _ = plain.write(Array("EHLO pam-mysql-check.invalid\r\n".utf8))
        var keywords: [String] = []
        var lastReply = ""
        var tlsFailed = false
        while let line = plain.readLine(timeout: 15) {
            if line.contains("Didn't find STARTTLS") || line.contains("didn't find starttls") { tlsFailed = true }
            if line.hasPrefix("250 ") && keywords.isEmpty {
                // s_client repeats the last line of the EHLO reply it read before STARTTLS.
                continue
            } else if line.hasPrefix("250") {
                keywords.append(String(line.dropFirst(4)).uppercased())
                if line.hasPrefix("250 ") { break }
            } else if line.count >= 3, line.first?.isNumber == true {
                lastReply = line
                if line.dropFirst(3).first == " " && !line.hasPrefix("220") { break }
            } else if line.lowercased().contains("connect:errno") || line.lowercased().contains("connection refused") {
                report.fail(step, "cannot connect: \(line)", fix: "check HOST:PORT and that Postfix listens there (postconf -M)")
                return
            }
        }
        if keywords.isEmpty {
            if tlsFailed {
                report.warn(
                    step, "the server offers no STARTTLS",
                    fix: "set smtpd_tls_security_level = may and a certificate (smtpd_tls_chain_files)")
            } else {
                report.fail(
                    step, "no EHLO reply after STARTTLS\(lastReply.isEmpty ? "" : ": \(lastReply)")",
                    fix: "check the server's TLS certificate and the maillog")
            }
            return
        }
        guard let auth = keywords.first(where: { $0.hasPrefix("AUTH") }) else {
            report.fail(
                step, "STARTTLS works, but EHLO offers no AUTH (swaks: \"Host did not advertise authentication\")",
                fix: "smtpd_sasl_auth_enable = yes for this service, and see the Postfix lines above")
            return
        }
        let mechanisms = auth.split(separator: " ").dropFirst().map(String.init)
        report.ok(step + " EHLO", "STARTTLS, then \(auth)")
        guard mechanisms.contains("PLAIN") else {
            report.fail(
                step + " AUTH", "PLAIN is not offered (\(mechanisms.joined(separator: " ")))", fix: "mech_list: PLAIN LOGIN in smtpd.conf")
            return
        }
        guard let user, let password else {
            report.info("(give USER and --password for AUTH PLAIN on \(address))")
            return
        }
        let response = SecretBytes([0] + Array(user.utf8) + [0]).appending(password)
        let encoded = Base64.encode(response)
        var command = Array("AUTH PLAIN ".utf8)
        command.reserveCapacity(command.count + encoded.count + 2)  // no reallocation: one copy to wipe
        encoded.withUnsafeBytes { command += $0 }
        command += Array("\r\n".utf8)
        defer { for i in command.indices { command[i] = 0 } }
        _ = plain.write(command)
        var reply = ""
        while let line = plain.readLine(timeout: 30) {
            guard line.count >= 4, line.first?.isNumber == true else { continue }
            reply = line
            if line.dropFirst(3).first == " " { break }
        }
        _ = plain.write(Array("QUIT\r\n".utf8))
        plain.closeInput()
        switch reply.prefix(3) {
        case "235": report.ok(step + " AUTH PLAIN", reply)
        case "454":
            report.fail(
                step + " AUTH PLAIN", reply,
                fix: "Postfix could not reach the authentication service: see the saslauthd/Dovecot lines above")
        case "535":
            report.fail(step + " AUTH PLAIN", reply, fix: "the chain refused the password: see the FAIL lines above and the maillog")
        case "":
            report.fail(
                step + " AUTH PLAIN", "no reply", fix: "see the maillog (smtpd may have died: \"no SASL authentication mechanisms\")")
        default: report.fail(step + " AUTH PLAIN", reply, fix: "see the maillog")
        }
    }
}
