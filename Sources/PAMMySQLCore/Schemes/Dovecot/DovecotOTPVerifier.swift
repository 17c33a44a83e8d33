/// `{OTP}<algorithm> <sequence> <seed> <16 hex>`: an RFC 2289 one-time-password state. Dovecot
/// 2.3 verifies a *plain* password against it by recomputing the state from the password
/// (hash of seed ‖ password folded to 64 bits, then `sequence` more hashes) and comparing the
/// printed state case-insensitively (`otp_verify`). Algorithms: md4, md5, sha1. Dovecot removed
/// the scheme after 2.4.4; Debian 12's 2.3.19.1 still lists and writes it.
struct DovecotOTPVerifier: DovecotVerifier {
    /// What Dovecot 2.3 writes: SHA-1, sequence 1,024, a 16-hex-digit random seed.
    static let newAlgorithm = Algorithm.sha1
    static let newSequence = 1024

    enum Algorithm: String, CaseIterable {
        case md4, md5, sha1
    }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        let parsed: (algorithm: Algorithm, sequence: Int, seed: [UInt8])
        switch raw.withUnsafeBytes({ Self.parse($0) }) {
        case .failure(let defect): return .malformed(defect.reason)
        case .success(let value): parsed = value
        }
        guard let hash = Self.hash(parsed.algorithm, seed: parsed.seed, password: password, steps: parsed.sequence) else {
            return .malformed("libcrypto failed to compute OTP")
        }
        let printed = SecretBytes(Array("\(parsed.algorithm.rawValue) \(parsed.sequence) ".utf8) + parsed.seed + [0x20])
            .appending(Hex.encode(hash, case: .lower))
        let lowered = SecretBytes(zeroedCount: raw.count)
        lowered.withUnsafeMutableBytes { target in
            raw.withUnsafeBytes { source in
                for i in 0..<source.count { target[i] = source[i] >= 0x41 && source[i] <= 0x5a ? source[i] + 32 : source[i] }
            }
        }
        return printed.constantTimeEquals(lowered) ? .match : .mismatch
    }

    /// `otp_parse_dbentry`: a name, one blank, a decimal, one blank, up to 16 alphanumerics
    /// (lowercased), one space. The hash itself is not needed: the printed form is compared.
    static func parse(
        _ text: UnsafeRawBufferPointer
    ) -> Result<(algorithm: Algorithm, sequence: Int, seed: [UInt8]), DovecotStoredValue.Defect> {
        func defect(_ reason: String) -> Result<(algorithm: Algorithm, sequence: Int, seed: [UInt8]), DovecotStoredValue.Defect> {
            .failure(DovecotStoredValue.Defect(reason: reason))
        }
        var index = 0
        while index < text.count, text[index] != 0x20, text[index] != 0x09 { index += 1 }
        guard index < text.count, let algorithm = Algorithm(rawValue: String(decoding: text[..<index], as: UTF8.self)) else {
            return defect("OTP algorithm is not md4, md5 or sha1")
        }
        index += 1
        var sequence = 0
        let digitsStart = index
        while index < text.count, text[index] >= 0x30, text[index] <= 0x39 {
            sequence = sequence * 10 + Int(text[index] - 0x30)
            guard sequence <= DovecotCostLimit.maximumOTPSequence else {
                return defect("OTP sequence exceeds \(DovecotCostLimit.maximumOTPSequence)")
            }
            index += 1
        }
        guard index > digitsStart, index < text.count, text[index] == 0x20 || text[index] == 0x09 else {
            return defect("OTP sequence is not a number")
        }
        index += 1
        var seed: [UInt8] = []
        while index < text.count, seed.count < 16, isAlphanumeric(text[index]) {
            let byte = text[index]
            seed.append(byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte)
            index += 1
        }
        guard index < text.count, text[index] == 0x20 else {
            return defect("OTP seed is not up to 16 letters or digits followed by a space")
        }
        return .success((algorithm, sequence, seed))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
    }

    /// RFC 2289's `f`: hash, then fold to 8 bytes; SHA-1's fold has Dovecot's (and the RFC's
    /// reference code's) byte order: each 32-bit half is reversed.
    static func hash(_ algorithm: Algorithm, seed: [UInt8], password: SecretBytes, steps: Int) -> SecretBytes? {
        func fold(_ message: SecretBytes) -> SecretBytes? {
            let digest: SecretBytes?
            switch algorithm {
            case .md4: digest = MD4.digest(message)
            case .md5: digest = DigestAlgorithm.md5.digest(message)
            case .sha1: digest = DigestAlgorithm.sha1.digest(message)
            }
            guard let digest else { return nil }
            let out = SecretBytes(zeroedCount: 8)
            out.withUnsafeMutableBytes { target in
                digest.withUnsafeBytes { d in
                    switch algorithm {
                    case .md4, .md5:
                        for i in 0..<8 { target[i] = d[i] ^ d[i + 8] }
                    case .sha1:
                        for i in 0..<4 {
                            target[3 - i] = d[i] ^ d[i + 8] ^ d[i + 16]
                            target[7 - i] = d[i + 4] ^ d[i + 12]
                        }
                    }
                }
            }
            return out
        }
        guard var state = fold(SecretBytes(seed).appending(password)) else { return nil }
        for _ in 0..<steps {
            guard let next = fold(state) else { return nil }
            state = next
        }
        return state
    }
}

extension DovecotOTPVerifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard let random = SecureRandom.bytes(8) else { return .failure(.noRandomBytes) }
        let seed = Hex.encode(SecretBytes(random), case: .lower).withUnsafeBytes { Array($0) }
        guard let hash = Self.hash(Self.newAlgorithm, seed: seed, password: password, steps: Self.newSequence) else {
            return .failure(.libcryptoFailed)
        }
        return .success(
            SecretBytes(Array("\(Self.newAlgorithm.rawValue) \(Self.newSequence) ".utf8) + seed + [0x20])
                .appending(Hex.encode(hash, case: .lower)))
    }
}
