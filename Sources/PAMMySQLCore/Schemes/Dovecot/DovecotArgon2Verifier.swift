internal import CSodium

/// `{ARGON2I}` and `{ARGON2ID}`: `$argon2i$` / `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, checked by
/// libsodium's `crypto_pwhash_str_verify` (opened on first use, see `Sodium`) exactly as Dovecot does (either name accepts either
/// variant). The cost parameters are read and capped first: libsodium would allocate whatever
/// `m=` asks for.
struct DovecotArgon2Verifier: DovecotVerifier {
    /// The variant a new value is written in; verification accepts either.
    enum Variant: Sendable {
        case argon2i, argon2id
    }

    let newValueVariant: Variant

    init(_ newValueVariant: Variant) { self.newValueVariant = newValueVariant }

    func verify(password: SecretBytes, raw: SecretBytes, context: VerificationContext) -> VerificationResult {
        if let defect = Self.costDefect(raw) { return .malformed(defect) }
        let capacity = Int(crypto_pwhash_STRBYTES)
        guard raw.count < capacity else { return .malformed("Argon2 value is longer than libsodium's \(capacity - 1) bytes") }
        guard let sodium = Sodium.library else { return .malformed(Sodium.unavailable) }
        // libsodium reads a fixed-size, NUL-terminated buffer.
        let buffer = SecretBytes(zeroedCount: capacity)
        buffer.withUnsafeMutableBytes { target in
            raw.withUnsafeBytes { source in
                if let base = source.baseAddress { target.baseAddress!.copyMemory(from: base, byteCount: source.count) }
            }
        }
        let result = buffer.withCString { stored in
            password.withCString { pass in sodium.verify(stored, pass, UInt64(password.count)) }
        }
        return result == 0 ? .match : .mismatch
    }

    /// Nil when the value is an Argon2 string within our caps, else the defect.
    static func costDefect(_ raw: SecretBytes) -> String? {
        guard !raw.containsNUL else { return "Argon2 value contains a NUL byte" }
        // Split as SecretBytes, not String: the fields hold the salt and the hash.
        var fields = DovecotFields.split(raw, separator: UInt8(ascii: "$"))
        guard fields.count >= 5, fields[0].isEmpty, fields[1].isText("argon2i") || fields[1].isText("argon2id") else {
            return "not an $argon2i$ or $argon2id$ value"
        }
        fields.removeFirst(2)
        if fields[0].hasPrefix("v=") { fields.removeFirst() }
        guard fields.count == 3 else { return "Argon2 value has the wrong number of $ fields" }
        let parameters = DovecotFields.split(fields[0], separator: UInt8(ascii: ","))
        let expected: [(String, Int)] = [
            ("m=", DovecotCostLimit.maximumArgon2MemoryKiB), ("t=", DovecotCostLimit.maximumArgon2Passes),
            ("p=", DovecotCostLimit.maximumArgon2Lanes),
        ]
        guard parameters.count == expected.count else { return "Argon2 parameters are not m=…,t=…,p=…" }
        var values: [Int] = []
        for (parameter, (prefix, limit)) in zip(parameters, expected) {
            guard parameter.hasPrefix(prefix) else { return "Argon2 parameters are not m=…,t=…,p=…" }
            let digits = parameter.slice(2..<parameter.count)
            guard let value = DovecotFields.unsignedInteger(digits, limit: limit) else {
                return "Argon2 \(prefix.dropLast()) is not a number up to \(limit)"
            }
            values.append(value)
        }
        // The time is memory × passes (libsodium runs the lanes one after the other).
        guard values[0] * values[1] <= DovecotCostLimit.maximumArgon2MemoryPasses else {
            return "Argon2 m*t exceeds \(DovecotCostLimit.maximumArgon2MemoryPasses) (KiB x passes)"
        }
        return nil
    }
}

/// libsodium's `crypto_pwhash_str_alg` with the costs Dovecot 2.3 writes (libsodium's
/// "interactive" levels): argon2i 32 MiB and 4 passes, argon2id 64 MiB and 3 passes.
extension DovecotArgon2Verifier: DovecotGenerator {
    func generate(password: SecretBytes, userName: [UInt8]) -> Result<SecretBytes, NewPasswordHashError> {
        guard !password.containsNUL else { return .failure(.containsNUL) }
        guard let sodium = Sodium.library else { return .failure(.init(reason: Sodium.unavailable)) }
        let (algorithm, passes, memory): (Int32, UInt64, Int) =
            switch newValueVariant {
            case .argon2i: (crypto_pwhash_ALG_ARGON2I13, 4, 32 << 20)
            case .argon2id: (crypto_pwhash_ALG_ARGON2ID13, 3, 64 << 20)
            }
        let output = SecretBytes(zeroedCount: Int(crypto_pwhash_STRBYTES))
        let result = output.withUnsafeMutableBytes { out in
            password.withCString { pass in
                sodium.hash(
                    out.baseAddress!.assumingMemoryBound(to: CChar.self), pass, UInt64(password.count), passes, memory, algorithm)
            }
        }
        guard result == 0, let end = output.firstIndex(of: 0) else {
            return .failure(.init(reason: "libsodium could not make an Argon2 hash (out of memory?)"))
        }
        return .success(output.slice(0..<end))
    }
}
