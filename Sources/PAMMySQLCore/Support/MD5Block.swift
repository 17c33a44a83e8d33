/// MD5's compression function on its own (RFC 1321 section 3.4), for Dovecot's CRAM-MD5
/// scheme, which stores the HMAC-MD5 inner and outer *chaining values* after the key block
/// rather than a digest. libcrypto does not expose those values through EVP.
public enum MD5Block {
    public typealias State = (UInt32, UInt32, UInt32, UInt32)

    public static let initialState: State = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)

    private static let constants: [UInt32] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    ]
    private static let shifts: [[UInt32]] = [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]]

    /// The chaining value after compressing one 64-byte `block` into `state`; nil unless the
    /// block is exactly 64 bytes.
    public static func compress(_ state: State, block: SecretBytes) -> State? {
        guard block.count == 64 else { return nil }
        return block.withUnsafeBytes { bytes -> State in
            // Words are read in place: no copy of the (password-derived) block to wipe.
            func x(_ i: Int) -> UInt32 {
                UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16
                    | UInt32(bytes[4 * i + 3]) << 24
            }
            var (a, b, c, d) = state
            for step in 0..<64 {
                let round = step / 16
                let mixed: UInt32
                let index: Int
                switch round {
                case 0: (mixed, index) = ((b & c) | (~b & d), step)
                case 1: (mixed, index) = ((b & d) | (c & ~d), (5 * step + 1) % 16)
                case 2: (mixed, index) = (b ^ c ^ d, (3 * step + 5) % 16)
                default: (mixed, index) = (c ^ (b | ~d), (7 * step) % 16)
                }
                let sum = a &+ mixed &+ x(index) &+ constants[step]
                let shift = shifts[round][step % 4]
                let value = b &+ (sum << shift | sum >> (32 - shift))
                (a, b, c, d) = (d, value, b, c)
            }
            return (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
        }
    }

    /// The state as Dovecot writes it: each word little-endian, in the order a, b, c, d.
    public static func littleEndianBytes(_ state: State, into target: UnsafeMutableRawBufferPointer, at offset: Int) {
        guard offset >= 0, offset + 16 <= target.count else { return }
        let words = [state.0, state.1, state.2, state.3]
        for index in 0..<4 {
            for i in 0..<4 {
                target[offset + index * 4 + i] = UInt8(truncatingIfNeeded: words[index] >> (8 * UInt32(i)))
            }
        }
    }
}
