import AuthDaemonCore
import PAMMySQLCore
import XCTest

/// Every frame and reply of Tests/vectors/saslauthd_frames.json, byte for byte.
final class SaslauthdFrameVectorTests: XCTestCase {
    func testEveryFrameDecodesAsTheVectorSays() throws {
        let frames = try ProtocolVectors.entries("saslauthd_frames.json", "frames")
        for frame in frames {
            let name = frame["name"] as? String ?? "?"
            let input = ProtocolVectors.hex(frame["hex"] as? String ?? "")
            let limits = (frame["limit"] as? Int).map { SaslauthdLimits(maximumFieldLength: $0) } ?? SaslauthdLimits()
            let expect = try XCTUnwrap(frame["expect"] as? [String: Any], name)
            let result = SaslauthdDecoder.decode(input, limits: limits)
            switch (expect["kind"] as? String, result) {
            case ("incomplete", .incomplete): break
            case ("request", .request(let request, let consumed)):
                XCTAssertEqual(consumed, expect["consumed"] as? Int, name)
                XCTAssertEqual(request.login, ProtocolVectors.bytes(expect, "login"), name)
                XCTAssertEqual(request.password.withUnsafeBytes { Array($0) }, ProtocolVectors.bytes(expect, "password"), name)
                XCTAssertEqual(request.service, ProtocolVectors.bytes(expect, "service"), name)
                XCTAssertEqual(request.realm, ProtocolVectors.bytes(expect, "realm"), name)
                XCTAssertEqual(request.clientAddress, ProtocolVectors.bytes(expect, "clientAddress"), name)
            case ("invalid", .invalid(let error)):
                XCTAssertEqual(error, try Self.error(expect), name)
            default:
                XCTFail("\(name): expected \(expect["kind"] ?? "?"), got \(Self.kind(result))")
            }
        }
    }

    func testEveryReplyIsEncodedAsTheVectorSays() throws {
        for vector in try ProtocolVectors.entries("saslauthd_frames.json", "replies") {
            let name = vector["name"] as? String ?? "?"
            let reply: SaslauthdReply
            switch (vector["reply"] as? String, vector["error"] as? String) {
            case ("ok", nil): reply = .ok
            case ("no", nil): reply = .no(try XCTUnwrap(vector["reason"] as? String, name))
            case ("temporaryFailure", nil): reply = .temporaryFailure
            case (nil, .some): reply = try Self.error(vector).reply
            default: return XCTFail("\(name): unknown reply")
            }
            XCTAssertEqual(reply.encoded, ProtocolVectors.hex(vector["hex"] as? String ?? ""), name)
        }
    }

    static func error(_ entry: [String: Any]) throws -> SaslauthdProtocolError {
        switch entry["error"] as? String {
        case "emptyLogin": return .emptyLogin
        case "emptyPassword": return .emptyPassword
        case "fieldTooLong":
            let field = SaslauthdField(rawValue: entry["field"] as? String ?? "login") ?? .login
            return .fieldTooLong(field, length: entry["length"] as? Int ?? 0, limit: entry["limit"] as? Int ?? 0)
        default: throw ProtocolVectors.VectorError("unknown error \(entry["error"] ?? "?")")
        }
    }

    static func kind(_ frame: SaslauthdFrame) -> String {
        switch frame {
        case .incomplete: return "incomplete"
        case .request(_, let consumed): return "request of \(consumed) bytes"
        case .invalid(let error): return "invalid: \(error)"
        }
    }
}
