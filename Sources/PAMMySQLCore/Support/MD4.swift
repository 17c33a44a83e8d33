/// MD4 (RFC 1320), for Dovecot's PLAIN-MD4 and OTP schemes. OpenSSL 3 moved MD4 into its
/// "legacy" provider, which a PAM module cannot count on being loadable, and the algorithm is
/// a few lines. Weak by any measure: it exists here only to read what is already stored.
public enum MD4 {
    public static let length = 16

    /// The digest of `message`. The padded tail is built in a wiped buffer, since it holds
    /// password bytes.
    public static func digest(_ message: SecretBytes) -> SecretBytes {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        let fullBlocks = message.count / 64
        message.withUnsafeBytes { bytes in
            for block in 0..<fullBlocks {
                compress(&state, UnsafeRawBufferPointer(rebasing: bytes[(block * 64)..<(block * 64 + 64)]))
            }
        }
        // Tail: the remaining bytes, 0x80, zeros, then the bit length (little-endian), in one or
        // two blocks.
        let remainder = message.count - fullBlocks * 64
        let tailLength = remainder < 56 ? 64 : 128
        let tail = SecretBytes(zeroedCount: tailLength)
        tail.withUnsafeMutableBytes { target in
            message.withUnsafeBytes { source in
                for i in 0..<remainder { target[i] = source[fullBlocks * 64 + i] }
            }
            target[remainder] = 0x80
            let bits = UInt64(message.count) &* 8
            for i in 0..<8 { target[tailLength - 8 + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
        }
        tail.withUnsafeBytes { bytes in
            for block in 0..<(tailLength / 64) {
                compress(&state, UnsafeRawBufferPointer(rebasing: bytes[(block * 64)..<(block * 64 + 64)]))
            }
        }
        let out = SecretBytes(zeroedCount: length)
        out.withUnsafeMutableBytes { target in
            for (index, word) in [state.0, state.1, state.2, state.3].enumerated() {
                for i in 0..<4 { target[index * 4 + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(i))) }
            }
        }
        return out
    }

    private static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
        value << count | value >> (32 - count)
    }

    /// One 64-byte block (RFC 1320 section 3.4): three rounds of sixteen steps.
    private static func compress(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ block: UnsafeRawBufferPointer) {
        // Words are read in place: no copy of the (password-derived) block to wipe.
        func x(_ i: Int) -> UInt32 {
            UInt32(block[4 * i]) | UInt32(block[4 * i + 1]) << 8 | UInt32(block[4 * i + 2]) << 16
                | UInt32(block[4 * i + 3]) << 24
        }
        var (a, b, c, d) = state
        let rounds: [(order: [Int], shifts: [UInt32], constant: UInt32, function: (UInt32, UInt32, UInt32) -> UInt32)] = [
            (Array(0..<16), [3, 7, 11, 19], 0, { x, y, z in (x & y) | (~x & z) }),
            (
                [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], [3, 5, 9, 13], 0x5a82_7999,
                { x, y, z in (x & y) | (x & z) | (y & z) }
            ),
            ([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], [3, 9, 11, 15], 0x6ed9_eba1, { x, y, z in x ^ y ^ z }),
        ]
        for round in rounds {
            for step in 0..<16 {
                let value = rotateLeft(
                    a &+ round.function(b, c, d) &+ x(round.order[step]) &+ round.constant, round.shifts[step % 4])
                // The roles rotate: [abcd], [dabc], [cdab], [bcda].
                (a, b, c, d) = (d, value, b, c)
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
