import PAMMySQLCore
import XCTest

/// Our MD4 (for PLAIN-MD4 and OTP) against RFC 1320's test suite, and the MD5 block function
/// (for CRAM-MD5) against a whole MD5 computed by libcrypto.
final class DovecotMD4Tests: XCTestCase {
    func hex(_ bytes: SecretBytes) -> String {
        String(decoding: Hex.encode(bytes, case: .lower).withUnsafeBytes { Array($0) }, as: UTF8.self)
    }

    func testRFC1320Vectors() {
        let vectors: [(String, String)] = [
            ("", "31d6cfe0d16ae931b73c59d7e0c089c0"),
            ("a", "bde52cb31de33e46245e05fbdbd6fb24"),
            ("abc", "a448017aaf21d8525fc10ae87aa6729d"),
            ("message digest", "d9130a8164549fe818874806e1c7014b"),
            ("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"),
            (String(repeating: "1234567890", count: 8), "e33b4ddc9c38f2199c3e7b164fcc0536"),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(hex(MD4.digest(SecretBytes(Array(message.utf8)))), digest, message)
        }
    }

    func testEveryTailLengthAroundTheBlockBoundary() {
        // 55, 56, 63 and 64 bytes are where the padding needs one or two blocks. Checked against
        // `openssl dgst -md4 -provider legacy` on Debian 12.
        let known: [Int: String] = [
            55: "c889c81dd86c4d2e025778944ea02881", 56: "d5f9a9e9257077a5f08b0b92f348b0ad", 63: "7ea3da77432d44c323671097d1348fc8",
            64: "52f5076fabd22680234a3fa9f9dc5732", 120: "b03ddbd470b47c013e0c7ab2ddd763db",
        ]
        for (length, digest) in known {
            XCTAssertEqual(hex(MD4.digest(SecretBytes(Array(repeating: 0x61, count: length)))), digest, "\(length)")
        }
    }

    func testMD5BlockAgreesWithLibcrypto() {
        // MD5 of exactly 55 bytes is one block: the message, 0x80, and the bit length.
        let message = Array(repeating: UInt8(ascii: "q"), count: 55)
        var block = message + [0x80]
        block += Array(repeating: 0, count: 64 - block.count - 8)
        let bits = UInt64(message.count * 8)
        block += (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
        let state = MD5Block.compress(MD5Block.initialState, block: SecretBytes(block))!
        let out = SecretBytes(zeroedCount: 16)
        out.withUnsafeMutableBytes { MD5Block.littleEndianBytes(state, into: $0, at: 0) }
        XCTAssertEqual(hex(out), hex(DigestAlgorithm.md5.digest(SecretBytes(message))!))
        XCTAssertNil(MD5Block.compress(MD5Block.initialState, block: SecretBytes([1, 2, 3])))
    }
}
