import AuthDaemonCore
import PAMMySQLCore
import XCTest

final class SaslauthdDecoderTests: XCTestCase {
    /// login alice, password s3cret, service smtp, realm example.com (the A.1 bytes).
    let fourFields = ProtocolVectors.hex("0005616c69636500067333637265740004736d7470000b6578616d706c652e636f6d")
    let fifthField = ProtocolVectors.hex("00123139382e35312e3130302e373b3534333231")

    func testEveryPrefixOfARequestIsIncomplete() {
        for length in 0..<fourFields.count {
            guard case .incomplete = SaslauthdDecoder.decode(fourFields.prefix(length)) else {
                return XCTFail("prefix of \(length) bytes is not incomplete")
            }
        }
    }

    /// Released clients send four fields and wait with no timeout: however the fifth field's
    /// bytes are cut, the four-field request is answered at once.
    func testAPartialFifthFieldNeverDelaysTheRequest() {
        for length in 0..<fifthField.count {
            guard case .request(let request, let consumed) = SaslauthdDecoder.decode(fourFields + fifthField.prefix(length)) else {
                return XCTFail("four fields and \(length) bytes of a fifth are not a request")
            }
            XCTAssertNil(request.clientAddress)
            XCTAssertEqual(consumed, fourFields.count)
        }
        guard case .request(let request, let consumed) = SaslauthdDecoder.decode(fourFields + fifthField) else {
            return XCTFail("five fields are not a request")
        }
        XCTAssertEqual(request.clientAddress, Array("198.51.100.7;54321".utf8))
        XCTAssertEqual(consumed, fourFields.count + fifthField.count)
    }

    /// NIO's readable bytes are a collection whose indices need not start at 0.
    func testASliceWithOffsetIndicesDecodes() {
        let buffer = [0xee, 0xee, 0xee] + fourFields
        guard case .request(let request, let consumed) = SaslauthdDecoder.decode(buffer.dropFirst(3)) else {
            return XCTFail("slice did not decode")
        }
        XCTAssertEqual(request.login, Array("alice".utf8))
        XCTAssertTrue(request.password.isText("s3cret"))
        XCTAssertEqual(request.realm, Array("example.com".utf8))
        XCTAssertEqual(consumed, 34)
    }

    func testAFieldOverTheLimitIsRefusedBeforeItsBytesArrive() {
        guard case .invalid(let error) = SaslauthdDecoder.decode([0x01, 0x01]) else { return XCTFail("not refused") }
        XCTAssertEqual(error, .fieldTooLong(.login, length: 257, limit: 256))
        XCTAssertEqual(error.description, "saslauthd request: login field of 257 bytes exceeds the limit of 256 bytes")
    }

    /// Five fields at the limit are one request; more bytes than that never make one longer.
    func testTheLongestRequestIsFiveFieldsAtTheLimit() {
        let limits = SaslauthdLimits(maximumFieldLength: 8)
        XCTAssertEqual(limits.maximumRequestLength, 50)
        let field = [0x00, 0x08] + [UInt8](repeating: 0x61, count: 8)
        let buffer = [UInt8]((0..<6).map { _ in field }.joined())
        guard case .request(let request, let consumed) = SaslauthdDecoder.decode(buffer, limits: limits) else {
            return XCTFail("not a request")
        }
        XCTAssertEqual(consumed, limits.maximumRequestLength)
        XCTAssertEqual(request.clientAddress, [UInt8](repeating: 0x61, count: 8))
    }

    func testTheLimitIsAtLeastOneByte() {
        XCTAssertEqual(SaslauthdLimits(maximumFieldLength: 0).maximumFieldLength, 1)
        XCTAssertEqual(SaslauthdLimits().maximumFieldLength, 256)
    }

    func testEmptyLoginAndPasswordHaveSaslauthdsReplies() {
        XCTAssertEqual(SaslauthdProtocolError.emptyLogin.reply, .no("NULL login received"))
        XCTAssertEqual(SaslauthdProtocolError.emptyPassword.reply, .no("NULL password received"))
        XCTAssertEqual(SaslauthdProtocolError.emptyLogin.description, "saslauthd request: empty login")
        XCTAssertEqual(SaslauthdProtocolError.emptyPassword.description, "saslauthd request: empty password")
    }

    /// No error's description or reply carries a byte of any field.
    func testErrorsNeverShowFieldBytes() {
        let password = "Pw-\u{1F511}-never-logged"
        let requests: [[UInt8]] = [
            counted("") + counted(password) + counted("smtp") + counted(""),
            counted("alice") + counted(password) + counted("smtp") + [0x01, 0x01],
            counted("alice") + counted(password) + counted("smtp") + counted("") + [0x7f, 0xff],
            counted("alice") + [0x01, 0x01] + Array(password.utf8),
        ]
        for request in requests {
            guard case .invalid(let error) = SaslauthdDecoder.decode(request) else { return XCTFail("not refused") }
            let shown = error.description + String(decoding: error.reply.encoded, as: UTF8.self)
            XCTAssertFalse(shown.contains("never-logged"))
            XCTAssertFalse(shown.contains("alice"))
        }
    }

    func testRepliesAreOneCountedString() {
        XCTAssertEqual(SaslauthdReply.ok.encoded, [0x00, 0x02, 0x4f, 0x4b])
        XCTAssertEqual(SaslauthdReply.temporaryFailure.encoded, [0x00, 0x00])
        let long = SaslauthdReply.no(String(repeating: "x", count: 5000)).encoded
        XCTAssertEqual(Int(long[0]) << 8 | Int(long[1]), long.count - 2)
        XCTAssertEqual(long.count - 2, 3 + SaslauthdReply.maximumReasonLength)
    }

    private func counted(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
    }
}
