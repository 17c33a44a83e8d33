/// `{DIGEST-MD5}`: MD5("user:realm:password") in hex, where the PAM user is split at its last
/// `@` into user and realm (no `@`: empty realm), as Dovecot's `digest_md5_generate` does. The
/// user is the exact PAM_USER bytes, so the value only verifies for the name it was made for.
struct DovecotDigestMD5Verifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        compareGenerated(Self.digest(password: password, userName: context.userName), with: raw, scheme: "DIGEST-MD5")
    }

    static func digest(password: SecretBytes, userName name: [UInt8]) -> SecretBytes? {
        let at = name.lastIndex(of: UInt8(ascii: "@"))
        let user = SecretBytes(at.map { Array(name[..<$0]) } ?? name)
        let realm = SecretBytes(at.map { Array(name[($0 + 1)...]) } ?? [])
        let colon = SecretBytes([UInt8(ascii: ":")])
        return DigestAlgorithm.md5.digest(user, colon, realm, colon, password)
    }
}

/// Needs the login name the value will be checked for; like `doveadm pw` without `-u`, refuses
/// to write one without it.
extension DovecotDigestMD5Verifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard !userName.isEmpty else { return .failure(.init(reason: "DIGEST-MD5 mixes in the user name: give the user")) }
        return Self.digest(password: password, userName: userName).map { .success($0) } ?? .failure(.libcryptoFailed)
    }
}
