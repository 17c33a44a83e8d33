/// Field helpers for the schemes whose value is a small record (SCRAM, PBKDF2, OTP).
enum DovecotFields {
    /// Splits at every `separator`, keeping empty fields (Dovecot's `t_strsplit`).
    static func split(_ value: SecretBytes, separator: UInt8) -> [SecretBytes] {
        var fields: [SecretBytes] = []
        var start = 0
        value.withUnsafeBytes { bytes in
            for (index, byte) in bytes.enumerated() where byte == separator {
                fields.append(value.slice(start..<index))
                start = index + 1
            }
        }
        fields.append(value.slice(start..<value.count))
        return fields
    }

    /// Decimal digits only (Dovecot's `str_to_uint`), at most `limit`; nil otherwise.
    static func unsignedInteger(_ field: SecretBytes, limit: Int) -> Int? {
        guard !field.isEmpty else { return nil }
        return field.withUnsafeBytes { bytes -> Int? in
            var value = 0
            for byte in bytes {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard value <= limit else { return nil }
            }
            return value
        }
    }
}
