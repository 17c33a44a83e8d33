// fuzz-dovecot: crypt=dovecot with every input under the fuzzer's control:
// flags(1 byte: 0x01 allow_weak_schemes) password NUL stored NUL user NUL default_pass_scheme,
// plus the `{SCHEME}` splitter/decoder on its own and DovecotQuery.parse on the stored part.
func fuzzDovecot(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let parts = fuzzSplit(input.dropFirst(), maxSplits: 3)
    func part(_ index: Int) -> [UInt8] { parts.count > index ? parts[index] : [] }
    let stored = SecretBytes(part(1))
    let defaultScheme = parts.count > 3 ? String(decoding: part(3), as: UTF8.self) : ModuleOptions.defaultPassSchemeDefault
    let context = VerificationContext(userName: part(2), defaultPassScheme: defaultScheme, allowWeakSchemes: first & 1 != 0)
    _ = PasswordSchemes.verify(mode: .dovecot, password: SecretBytes(part(0)), stored: stored, context: context)
    _ = DovecotStoredValue.parse(stored, defaultScheme: defaultScheme)
    _ = DovecotQuery.parse(String(decoding: part(1), as: UTF8.self))
}
