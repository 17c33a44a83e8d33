/// A stored value read the way Dovecot reads it (`password_get_scheme`, `password_scheme_lookup`
/// and `password_decode` in `src/lib-auth/password-scheme.c`): which scheme, and the raw bytes
/// that scheme compares.
struct DovecotStoredValue {
    let scheme: DovecotScheme
    let raw: SecretBytes

    /// Why a stored value cannot be verified; the text names the defect, never the value.
    struct Defect: Error {
        let reason: String
    }

    /// The scheme name a value names, and the rest of the value.
    struct Split {
        /// `{SCHEME}` or `{SCHEME.suffix}` as written, or nil when the value has no prefix.
        let prefix: String?
        /// The scheme to use when there is no prefix and the value itself says (`$1$`, …).
        let implied: String?
        let body: SecretBytes
    }

    /// Splits off the scheme. Like Dovecot: `{…}` only at the very start; `$1$salt$hash` is
    /// MD5-CRYPT with anything after the hash's `$` cut off. Beyond Dovecot (which would apply
    /// the default scheme): unprefixed `$2?$`, `$5$`, `$6$` and `$y$` values are crypt(3), so a
    /// postfixadmin table with unprefixed `$6$` values works whatever `default_pass_scheme` says.
    static func split(_ stored: SecretBytes) -> Split {
        if stored.hasPrefix("$1$"), let salt = index(of: "$", in: stored, from: 3) {
            let end = index(of: "$", in: stored, from: salt + 1) ?? stored.count
            return Split(prefix: nil, implied: "MD5-CRYPT", body: stored.slice(0..<end))
        }
        if stored[safe: 0] == UInt8(ascii: "{"), let close = stored.firstIndex(of: UInt8(ascii: "}")) {
            let name = stored.slice(1..<close).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            return Split(prefix: name, implied: nil, body: stored.slice((close + 1)..<stored.count))
        }
        let isCrypt =
            stored.hasPrefix("$5$") || stored.hasPrefix("$6$") || stored.hasPrefix("$y$")
            || (stored.hasPrefix("$2") && stored[safe: 3] == UInt8(ascii: "$")
                && (stored[safe: 2].map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ?? false))
        return Split(prefix: nil, implied: isCrypt ? "CRYPT" : nil, body: stored)
    }

    /// Finds the scheme (prefix, implied, else `defaultScheme`) and decodes the body.
    static func parse(_ stored: SecretBytes, defaultScheme: String) -> Result<DovecotStoredValue, Defect> {
        let split = split(stored)
        let name = split.prefix ?? split.implied ?? defaultScheme
        guard let (scheme, explicit) = DovecotSchemes.lookup(name) else {
            return .failure(Defect(reason: "unknown password scheme \(displayName(name))"))
        }
        return decode(split.body, scheme: scheme, explicit: explicit).map { DovecotStoredValue(scheme: scheme, raw: $0) }
    }

    /// `password_decode`: hex or base64 as the suffix says, else the scheme's default; for
    /// fixed-length schemes without a suffix, twice the raw length means hex, anything else
    /// base64, and the decoded length must be exact.
    static func decode(_ body: SecretBytes, scheme: DovecotScheme, explicit: DovecotEncoding?) -> Result<SecretBytes, Defect> {
        var encoding = explicit ?? scheme.defaultEncoding
        let guessed = explicit == nil && encoding != .none && scheme.rawLength != 0
        if guessed { encoding = body.count == scheme.rawLength * 2 ? .hex : .base64 }
        var raw: SecretBytes
        switch encoding {
        case .none:
            raw = body
        case .hex:
            if let decoded = Hex.decode(body) {
                raw = decoded
            } else if guessed, let decoded = decodeBase64(body) {
                raw = decoded  // Dovecot falls back to base64 when its hex guess fails
            } else {
                return .failure(Defect(reason: "{\(scheme.name)} value is not valid hex"))
            }
        case .base64:
            guard let decoded = decodeBase64(body) else {
                return .failure(Defect(reason: "{\(scheme.name)} value is not valid base64"))
            }
            raw = decoded
        }
        if scheme.rawLength != 0, raw.count != scheme.rawLength {
            return .failure(Defect(reason: "{\(scheme.name)} value decodes to \(raw.count) bytes instead of \(scheme.rawLength)"))
        }
        return .success(raw)
    }

    /// Base64 as Dovecot accepts it: blanks and line breaks ignored, padding optional.
    static func decodeBase64(_ text: SecretBytes) -> SecretBytes? {
        let blanks: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        let kept = text.withUnsafeBytes { $0.reduce(0) { blanks.contains($1) ? $0 : $0 + 1 } }
        guard kept % 4 != 1 else { return nil }
        let padded = SecretBytes(zeroedCount: (kept + 3) / 4 * 4)
        padded.withUnsafeMutableBytes { target in
            text.withUnsafeBytes { source in
                var o = 0
                for byte in source where !blanks.contains(byte) {
                    target[o] = byte
                    o += 1
                }
                while o < target.count {
                    target[o] = UInt8(ascii: "=")
                    o += 1
                }
            }
        }
        return Base64.decode(padded)
    }

    /// A scheme name for a log line: shown when it looks like one, else only its length (a
    /// garbage "prefix" could be part of a hash or a password).
    static func displayName(_ name: String) -> String {
        let plausible =
            name.utf8.count <= 32
            && name.utf8.allSatisfy {
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46 || $0 == 95
            }
        return plausible ? "{\(name)}" : "(name not shown, \(name.utf8.count) bytes)"
    }

    private static func index(of character: Character, in value: SecretBytes, from start: Int) -> Int? {
        let byte = character.asciiValue ?? 0
        return value.withUnsafeBytes { bytes in
            guard start < bytes.count else { return nil }
            return bytes[start...].firstIndex(of: byte)
        }
    }
}
