import PAMMySQLCore

/// PLAIN (RFC 4616) as Dovecot's `mech-plain.c` reads it.
enum DovecotPlainMechanism {
    /// No initial response: an empty challenge (`CONT\t<id>\t`, `mech_generic_auth_initial`).
    static func start() -> DovecotMechanismStep {
        .challenge([], then: .plainResponse)
    }

    /// `authzid NUL authcid NUL password`, exactly two NULs. An authzid equal to the authcid is
    /// the same as none; a different one asks to log in as someone else (Dovecot's master users),
    /// which this daemon has no notion of, so it is refused.
    static func response(_ data: SecretBytes) -> DovecotMechanismStep {
        let nuls = data.withUnsafeBytes { bytes in bytes.indices.filter { bytes[$0] == 0 } }
        guard nuls.count == 2 else { return .refused(user: nil, reason: "Invalid PLAIN response") }
        let (authzid, authcid) = data.withUnsafeBytes { bytes in
            (Array(bytes[0..<nuls[0]]), Array(bytes[(nuls[0] + 1)..<nuls[1]]))
        }
        guard DovecotUserName.isAcceptable(authcid) else { return .refused(user: nil, reason: "Invalid username") }
        guard authzid.isEmpty || authzid == authcid else {
            return .refused(user: authcid, reason: "Authorization identity differs from the user name")
        }
        return .credentials(user: authcid, password: data.slice((nuls[1] + 1)..<data.count))
    }
}
