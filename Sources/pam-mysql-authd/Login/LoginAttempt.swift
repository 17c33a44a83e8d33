import PAMMySQLCore

/// One login as a listener hands it over: who, with which password, for which service, from
/// where. The password stays in `SecretBytes` (wiped when the attempt is gone).
struct LoginAttempt: @unchecked Sendable {
    let service: String
    let user: [UInt8]
    let password: SecretBytes
    /// The client's address when the protocol carries it (Dovecot's `rip=`, saslauthd's 5th field).
    let remoteAddress: String?
    /// `saslauthd` or `dovecot`, for the log line.
    let protocolName: String
}
