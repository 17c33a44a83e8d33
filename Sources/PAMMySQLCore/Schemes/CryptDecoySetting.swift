/// The method-and-cost prefix of a crypt(3) value, followed by a fixed salt: the setting of a
/// decoy that costs libxcrypt what the value costs (the salt's length changes nothing that
/// matters). Every method `CryptCostLimit` knows is read the way it reads it; the rest of the
/// value (the user's salt and hash) is never copied.
enum CryptDecoySetting {
    static let salt = Array("decoysaltdecoysa".utf8)  // 16 characters: every method's salt size
    /// bcrypt's salt is exactly 22 characters; the filler completes a 60-character value.
    static let bcryptSalt = Array("decoysaltdecoysaltdeco".utf8)
    static let bcryptFiller = Array("decoyhashdecoyhashdecoyhashdeco".utf8)

    /// The decoy setting for `stored`, or nil when its method is not recognised.
    static func make(from stored: UnsafeRawBufferPointer) -> [UInt8]? {
        func startsWith(_ prefix: String) -> Bool { stored.starts(with: prefix.utf8) }
        let dollar = UInt8(ascii: "$")
        if startsWith("$y$") || startsWith("$gy$") {
            // Flavour and parameters up to the '$' before the salt.
            let start = startsWith("$y$") ? 3 : 4
            guard let end = field(stored, from: start, allowed: CryptAlphabet.itoa64), stored[safe: end] == dollar else { return nil }
            return Array(stored[0...end]) + salt + [dollar]
        }
        if startsWith("$7$") {
            guard stored.count >= 14, stored[3..<14].allSatisfy(CryptAlphabet.itoa64.contains) else { return nil }
            return Array(stored[0..<14]) + salt + [dollar]
        }
        if stored.count >= 7, startsWith("$2"), stored[3] == dollar, stored[6] == dollar {
            return Array(stored[0..<7]) + bcryptSalt + bcryptFiller
        }
        if startsWith("$5$") || startsWith("$6$") {
            guard startsWith("$5$rounds=") || startsWith("$6$rounds=") else { return Array(stored[0..<3]) + salt + [dollar] }
            return numbered(stored, digitsFrom: 10).map { $0 + salt + [dollar] }
        }
        if startsWith("$sha1$") { return numbered(stored, digitsFrom: 6).map { $0 + salt + [dollar] } }
        if startsWith("$md5$rounds=") || startsWith("$md5,rounds=") {
            return numbered(stored, digitsFrom: 12).map { $0 + Array(salt.prefix(8)) + [dollar] }
        }
        if startsWith("$md5$") || startsWith("$md5,") { return Array("$md5$".utf8) + Array(salt.prefix(8)) + [dollar] }
        if startsWith("$1$") { return Array("$1$".utf8) + Array(salt.prefix(8)) + [dollar] }
        if startsWith("$3$") { return Array("$3$".utf8) }
        if startsWith("_") {
            guard stored.count >= 5, stored[1..<5].allSatisfy(CryptAlphabet.itoa64.contains) else { return nil }
            return Array(stored[0..<5]) + Array(salt.prefix(4))
        }
        // DES (and bigcrypt): 25 DES rounds whatever the salt.
        if stored.count >= 13, stored[0..<2].allSatisfy(CryptAlphabet.itoa64.contains) { return Array("de".utf8) + Array(salt.prefix(11)) }
        return nil
    }

    /// The end of the run of `allowed` bytes from `start` (at most 64 of them).
    private static func field(_ text: UnsafeRawBufferPointer, from start: Int, allowed: [UInt8]) -> Int? {
        var index = start
        while index < text.count, index - start < 64, allowed.contains(text[index]) { index += 1 }
        return index > start ? index : nil
    }

    /// The prefix up to and including the '$' after a decimal number starting at `index`.
    private static func numbered(_ text: UnsafeRawBufferPointer, digitsFrom index: Int) -> [UInt8]? {
        guard let end = field(text, from: index, allowed: Array("0123456789".utf8)), end - index <= 10,
            text[safe: end] == UInt8(ascii: "$")
        else { return nil }
        return Array(text[0...end])
    }
}

extension UnsafeRawBufferPointer {
    fileprivate subscript(safe index: Int) -> UInt8? { index >= 0 && index < count ? self[index] : nil }
}
