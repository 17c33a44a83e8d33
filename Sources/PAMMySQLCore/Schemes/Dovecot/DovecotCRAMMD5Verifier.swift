/// `{CRAM-MD5}` and `{HMAC-MD5}`: the HMAC-MD5 context of the password, 32 bytes (hex by
/// default): the outer then the inner MD5 chaining value after the key block, each as four
/// little-endian words (Dovecot's `hmac_md5_get_cram_context`). A server can answer CRAM-MD5
/// with it; for us it is a deterministic function of the password to compare. Dovecot 2.4 marks
/// only the HMAC-MD5 name weak.
struct DovecotCRAMMD5Verifier: DovecotVerifier {
    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        compareGenerated(Self.context(of: password), with: raw, scheme: "CRAM-MD5")
    }

    static func context(of password: SecretBytes) -> SecretBytes? {
        // HMAC: a key longer than the block is replaced by its digest.
        let key: SecretBytes
        if password.count > 64 {
            guard let hashed = DigestAlgorithm.md5.digest(password) else { return nil }
            key = hashed
        } else {
            key = password
        }
        let inner = SecretBytes(zeroedCount: 64)
        let outer = SecretBytes(zeroedCount: 64)
        inner.withUnsafeMutableBytes { innerBytes in
            outer.withUnsafeMutableBytes { outerBytes in
                key.withUnsafeBytes { keyBytes in
                    for i in 0..<64 {
                        let byte = i < keyBytes.count ? keyBytes[i] : 0
                        innerBytes[i] = byte ^ 0x36
                        outerBytes[i] = byte ^ 0x5c
                    }
                }
            }
        }
        guard let outerState = MD5Block.compress(MD5Block.initialState, block: outer),
            let innerState = MD5Block.compress(MD5Block.initialState, block: inner)
        else { return nil }
        let out = SecretBytes(zeroedCount: 32)
        out.withUnsafeMutableBytes { target in
            MD5Block.littleEndianBytes(outerState, into: target, at: 0)
            MD5Block.littleEndianBytes(innerState, into: target, at: 16)
        }
        return out
    }
}

extension DovecotCRAMMD5Verifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        Self.context(of: password).map { .success($0) } ?? .failure(.libcryptoFailed)
    }
}
