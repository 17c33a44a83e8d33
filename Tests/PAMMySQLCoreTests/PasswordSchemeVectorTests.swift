import PAMMySQLCore
import XCTest

/// pam_mysql's modes against the published vectors of Tests/vectors/password_schemes.json (password
/// `secret`, and `this is a passwd` from pam_mysql's upstream test table), each accepted by Debian's
/// C module unless marked, plus the quirks of single modes.
final class PasswordSchemeVectorTests: XCTestCase {
    struct Vector {
        let mode: CryptMode
        let stored: String
        var use323 = false
        init(_ mode: CryptMode, _ stored: String, use323: Bool = false) {
            self.mode = mode
            self.stored = stored
            self.use323 = use323
        }
    }

    func verify(_ vector: Vector, _ password: String) -> VerificationResult {
        PasswordSchemes.verify(
            mode: vector.mode, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(vector.stored.utf8)),
            context: VerificationContext(useMySQL323: vector.use323))
    }

    func testEveryVectorAcceptsItsPasswordAndRejectsAWrongOne() throws {
        let vectors = try SchemeVectors.load().pamMySQL
        XCTAssertGreaterThanOrEqual(vectors.count, 28)
        for entry in vectors {
            guard let mode = entry.mode, mode != .dovecot else {
                XCTFail("\(entry.label): no crypt=\(entry.crypt)")
                continue
            }
            let vector = Vector(mode, entry.stored, use323: entry.use323Passwd ?? false)
            XCTAssertEqual(verify(vector, entry.password), .match, entry.label)
            XCTAssertEqual(verify(vector, "x" + entry.password), .mismatch, entry.label)
            XCTAssertEqual(verify(vector, ""), .mismatch, "\(entry.label) empty password")
        }
    }

    func testHexDigestsAreCaseSensitiveLikeStrcmp() {
        // pam_mysql's strcmp never matched the other case; we refuse it with a reason.
        for vector in [
            Vector(.md5, "5EBE2294ECD0E0F08EAB7690D2A6EE69"), Vector(.sha1, "E5E9FA1BA31ECD1AE84F75CAAA474F3A663F05F4"),
            Vector(.mysql, "*14e65567abdb5135d0cfd9a70b3032c179a49ee7"),
        ] {
            guard case .malformed(let reason) = verify(vector, "secret") else { return XCTFail("\(vector.stored)") }
            XCTAssertTrue(reason.contains("case") || reason.contains("uppercase") || reason.contains("lowercase"), reason)
        }
    }

    func testDESCryptUsesOnlyTheFirstEightCharacters() {
        let vector = Vector(.crypt, "th/MvOljQRiww")
        XCTAssertEqual(verify(vector, "this is a passwd"), .match)
        XCTAssertEqual(verify(vector, "this is a different passwd"), .match)
    }

    func testPlainComparesBytesNotCStrings() {
        // pam_mysql's strcmp stopped at a NUL in the stored value; we compare every byte.
        let stored = SecretBytes(Array("sec\0ret".utf8))
        XCTAssertEqual(
            PasswordSchemes.verify(mode: .plain, password: SecretBytes(Array("sec".utf8)), stored: stored, context: .init()), .mismatch)
        XCTAssertEqual(PasswordSchemes.verify(mode: .plain, password: SecretBytes([]), stored: SecretBytes([]), context: .init()), .match)
    }

    func testMySQL323SkipsBlanks() {
        XCTAssertEqual(verify(Vector(.mysql, "428567f408994404", use323: true), "se cr\tet"), .match)
    }
}
