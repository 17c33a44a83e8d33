/// `{DIGEST-MD5}`: MD5("user:realm:password") in hex, where the PAM user is split at its last
/// `@` into user and realm (no `@`: empty realm), as Dovecot's `digest_md5_generate` does. The
/// user is the exact PAM_USER bytes, so the value only verifies for the name it was made for.
struct DovecotDigestMD5Verifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        let name = context.userName
        let at = name.lastIndex(of: UInt8(ascii: "@"))
        let user = SecretBytes(at.map { Array(name[..<$0]) } ?? name)
        let realm = SecretBytes(at.map { Array(name[($0 + 1)...]) } ?? [])
        let colon = SecretBytes([UInt8(ascii: ":")])
        return compareGenerated(
            DigestAlgorithm.md5.digest(user, colon, realm, colon, password), with: raw, scheme: "DIGEST-MD5")
    }
}
