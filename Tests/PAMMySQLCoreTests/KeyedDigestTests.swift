import Foundation
import PAMMySQLCore
import XCTest

/// The verification cache's HMAC-SHA-256 against RFC 4231's published results
/// (Tests/vectors/hmac_sha256_rfc4231.json), with short, block-sized-plus and hashed keys.
final class KeyedDigestTests: XCTestCase {
    struct Vector: Decodable {
        let `case`: Int
        let keyHex: String
        let dataHex: String
        let hmacHex: String
    }

    struct File: Decodable {
        let vectors: [Vector]
    }

    static func load() throws -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("vectors/hmac_sha256_rfc4231.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(File.self, from: Data(contentsOf: url)).vectors
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func hex(_ secret: SecretBytes) -> String {
        secret.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    func testRFC4231Vectors() throws {
        let vectors = try Self.load()
        XCTAssertEqual(vectors.map(\.case), [1, 2, 3, 4, 6, 7])
        for vector in vectors {
            let digest = try XCTUnwrap(KeyedDigest(key: SecretBytes(Self.bytes(hex: vector.keyHex))))
            let data = Self.bytes(hex: vector.dataHex)
            let mac = try XCTUnwrap(digest.authenticate { message in data.withUnsafeBytes { message.append($0) } })
            XCTAssertEqual(Self.hex(mac), vector.hmacHex, "RFC 4231 case \(vector.case)")
            // The pre-keyed contexts are copied, never consumed: the same digest a second time.
            let again = try XCTUnwrap(digest.authenticate { message in data.withUnsafeBytes { message.append($0) } })
            XCTAssertEqual(Self.hex(again), vector.hmacHex, "RFC 4231 case \(vector.case), second use")
        }
    }

    func testMessagesSplitAnywhereGiveTheSameDigest() throws {
        let vector = try Self.load()[1]
        let digest = try XCTUnwrap(KeyedDigest(key: SecretBytes(Self.bytes(hex: vector.keyHex))))
        let data = Self.bytes(hex: vector.dataHex)
        let mac = try XCTUnwrap(
            digest.authenticate { message in
                data.withUnsafeBytes { bytes in
                    message.append(UnsafeRawBufferPointer(rebasing: bytes[0..<5]))
                    message.append(UnsafeRawBufferPointer(rebasing: bytes[5..<5]))
                    message.append(SecretBytes(Array(data[5...])))
                }
            })
        XCTAssertEqual(Self.hex(mac), vector.hmacHex)
    }

    func testFieldsAreLengthPrefixed() throws {
        let digest = try XCTUnwrap(KeyedDigest(key: SecretBytes(Array("key".utf8))))
        let ab = try XCTUnwrap(
            digest.authenticate {
                $0.appendField("a")
                $0.appendField("b")
            })
        let abSplitLate = try XCTUnwrap(
            digest.authenticate {
                $0.appendField("ab")
                $0.appendField("")
            })
        XCTAssertFalse(ab.constantTimeEquals(abSplitLate))
    }
}
