/// The cost parameters of a yescrypt `$y$`, gost-yescrypt `$gy$` or scrypt `$7$` setting,
/// decoded exactly as libxcrypt's `yescrypt_r` decodes them (`lib/alg-yescrypt-common.c`),
/// including its 32-bit wrap-around, so the numbers checked are the numbers it would use.
///
/// `$y$` (and `$gy$`, which libxcrypt rewrites to `$y$`): variable-length base-64 numbers for
/// the flavour, log2(N) and r, then optionally a bit set saying which of p, t, g and NROM
/// follow. `$7$`: one character of log2(N), then r and p as 30-bit numbers of 5 characters.
struct YescryptParameters {
    var log2N: UInt32
    var r: UInt32
    var p: UInt32 = 1
    var t: UInt32 = 0

    /// Nil when libxcrypt would refuse the setting before any work (a bad character, an
    /// unsupported g or NROM, log2(N) over 63): nothing to cap then.
    init?(yescrypt text: UnsafeRawBufferPointer, from start: Int) {
        var index = start
        guard Self.variable(text, &index, minimum: 0) != nil,  // the flavour
            let log2N = Self.variable(text, &index, minimum: 1), log2N <= 63,
            let r = Self.variable(text, &index, minimum: 1)
        else { return nil }
        self.log2N = log2N
        self.r = r
        guard index < text.count, text[index] != UInt8(ascii: "$") else { return }
        guard let have = Self.variable(text, &index, minimum: 1) else { return nil }
        if have & 1 != 0 {
            guard let p = Self.variable(text, &index, minimum: 2) else { return nil }
            self.p = p
        }
        if have & 2 != 0 {
            guard let t = Self.variable(text, &index, minimum: 1) else { return nil }
            self.t = t
        }
        // g (hash upgrades) and NROM (a ROM) need things crypt(3) never has: refused unhashed.
        if have & 12 != 0 { return nil }
    }

    init?(scrypt text: UnsafeRawBufferPointer) {
        guard text.count >= 14, let log2N = Self.digit(text[3]), log2N >= 1 else { return nil }
        var r: UInt32 = 0
        var p: UInt32 = 0
        for position in 0..<5 {
            guard let rDigit = Self.digit(text[4 + position]), let pDigit = Self.digit(text[9 + position]) else { return nil }
            r |= rDigit << (6 * position)
            p |= pDigit << (6 * position)
        }
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// The refusal for a value over `CryptCostLimit`'s memory or work cap, or nil.
    func excess(method: String) -> String? {
        let n: UInt64 = 1 << UInt64(log2N)
        let (blocks, overBlocks) = n.multipliedReportingOverflow(by: UInt64(r))
        if overBlocks || blocks > CryptCostLimit.maximumYescryptMemory / 128 {
            return "\(method) memory 128*N*r exceeds \(CryptCostLimit.maximumYescryptMemory >> 20) MiB"
        }
        let (lanes, overLanes) = blocks.multipliedReportingOverflow(by: UInt64(p))
        let (work, overWork) = lanes.multipliedReportingOverflow(by: UInt64(t) + 1)
        if overLanes || overWork || work > CryptCostLimit.maximumYescryptWork {
            return "\(method) work N*r*p*(t+1) exceeds 2^\(CryptCostLimit.maximumYescryptWork.trailingZeroBitCount) blocks"
        }
        return nil
    }

    /// libxcrypt's `atoi64`: the itoa64 index, or nil for any other byte.
    private static func digit(_ byte: UInt8) -> UInt32? {
        CryptAlphabet.itoa64.firstIndex(of: byte).map { UInt32($0) }
    }

    /// libxcrypt's `decode64_uint32`: the first character's range says how many characters
    /// follow (0…47 one, 48…55 two, …, 63 six), each adding 6 bits; `minimum` is added.
    private static func variable(_ text: UnsafeRawBufferPointer, _ index: inout Int, minimum: UInt32) -> UInt32? {
        guard index < text.count, let first = digit(text[index]) else { return nil }
        index += 1
        var start: UInt32 = 0
        var end: UInt32 = 47
        var characters = 1
        var bits: UInt32 = 0
        var value = minimum
        while first > end {
            value &+= (end + 1 - start) << bits
            start = end + 1
            end = start + (62 - end) / 2
            characters += 1
            bits += 6
        }
        value &+= (first - start) << bits
        while characters > 1 {
            characters -= 1
            guard index < text.count, let next = digit(text[index]) else { return nil }
            index += 1
            bits -= 6
            value &+= next << bits
        }
        return value
    }
}
