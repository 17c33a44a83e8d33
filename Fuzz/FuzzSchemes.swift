// fuzz-schemes: every stored-hash parser. Byte 0 picks the mode (low 4 bits, modulo the 11
// modes) and flags (0x10 use_323_passwd, 0x20 allow_weak_schemes); the rest is
// password NUL stored [NUL user]. Also Base64 and Hex decoding of the stored value.
func fuzzSchemes(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let mode = CryptMode.allCases[Int(first & 0x0F) % CryptMode.allCases.count]
    let parts = fuzzSplit(input.dropFirst(), maxSplits: 2)
    let password = SecretBytes(parts[0])
    let stored = SecretBytes(parts.count > 1 ? parts[1] : [])
    let context = VerificationContext(
        useMySQL323: first & 0x10 != 0, userName: parts.count > 2 ? parts[2] : [],
        allowWeakSchemes: first & 0x20 != 0)
    _ = PasswordSchemes.verify(mode: mode, password: password, stored: stored, context: context)
    _ = Base64.decode(stored)
    _ = Hex.decode(stored)
}
