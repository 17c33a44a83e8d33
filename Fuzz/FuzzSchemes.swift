// fuzz-schemes: every stored-hash parser. Byte 0 picks the mode (low 4 bits, modulo the 11
// modes) and flags (0x10 use_323_passwd, 0x20 allow_weak_schemes, 0x40/0x80 below); the rest is
// password NUL stored [NUL user]. Also Base64 and Hex decoding of the stored value, and the
// format guess `pam-mysql check` makes of a value that does not verify.
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
    _ = StoredValueShape.guess(stored)?.hint(configured: mode)

    // Flag 0x40: the invariant that what a password change writes, a login accepts.
    // NewPasswordHash.make for this mode (0x80: the `md5` flag; the password length picks
    // crypt_method or none) must verify as a match.
    // crypt(3), Drupal and Dovecot hashes cost milliseconds: only for passwords of 0-6 bytes
    // (which still reach every crypt_method), or they would dominate the run.
    let slow = mode == .crypt || mode == .drupal7 || mode == .dovecot
    if first & 0x40 != 0, !slow || parts[0].count <= 6 {
        let methods: [CryptMethod?] = [nil] + CryptMethod.allCases.map { $0 }
        let method = methods[parts[0].count % methods.count]
        if case .success(let made) = NewPasswordHash.make(
            mode: mode, password: password, cryptMethod: method, md5: first & 0x80 != 0, useMySQL323: context.useMySQL323)
        {
            let result = PasswordSchemes.verify(mode: mode, password: password, stored: made, context: context)
            guard result == .match else {
                fatalError(
                    "NewPasswordHash.make(\(mode.label), crypt_method \(String(describing: method))) wrote a value that verifies as \(result)"
                )
            }
        }
    }
}
