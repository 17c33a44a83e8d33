import PAMMySQLCore
import XCTest

/// The test vectors of pam_mysql_reference.md §2.3, each accepted by the Debian C module.
final class PasswordSchemeVectorTests: XCTestCase {
    struct Vector {
        let mode: CryptMode
        let stored: String
        var use323 = false
        let file: StaticString
        let line: UInt
        init(_ mode: CryptMode, _ stored: String, use323: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
            self.mode = mode
            self.stored = stored
            self.use323 = use323
            self.file = file
            self.line = line
        }
    }

    /// (a) computed for the password `secret`.
    static let secretVectors: [Vector] = [
        Vector(.plain, "secret"),
        Vector(.crypt, "abNANd1rDfiNc"),
        Vector(.crypt, "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"),
        Vector(.crypt, "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"),
        Vector(.crypt, "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"),
        Vector(.mysql, "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"),
        Vector(.mysql, "428567f408994404", use323: true),
        Vector(.md5, "5ebe2294ecd0e0f08eab7690d2a6ee69"),
        Vector(.sha1, "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
        Vector(.drupal7, "$S$DabcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK"),
        Vector(.drupal7, "$P$BabcdefghhoF/sggXNwaIB66V9Zcjt."),
        Vector(.drupal7, "$H$9abcdefghU8VFtCLLavdW.IKqnQV7E0"),
        // Rejected by pam_mysql 0.8.2 (its bug), valid in Drupal: we accept it deliberately.
        Vector(.drupal7, "U$S$DabcdefgHraiMYlitoy5QIKfKKJFWTG39ZfB8wI/DQRiTFLXLsq9"),
        Vector(.joomla15, "6f3ca84e08269eefb6105e695411eafc:SALTsaltSALTsaltSALTsaltSALTsalt"),
        Vector(.ssha, "KnpQ4g1j1OR0Fb9Lksze2BcmJdZhYmNkMTIzNA=="),
        Vector(.sha512, "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2"),
        Vector(.sha256, "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"),
    ]

    /// (b) from upstream's test table, password `this is a passwd`.
    static let upstreamVectors: [Vector] = [
        Vector(.crypt, "th/MvOljQRiww"),
        Vector(.mysql, "*DE939D0BA37D13289F3E1E1D3229A20612BBC4D8"),
        Vector(.md5, "20a94b82ce464160d2c43f6421d3f1cd"),
        Vector(.sha1, "93912a048645641d5f99a0aa12a7984893bfbf53"),
        Vector(.drupal7, "$S$5FS2XtrzQh7m/lF9AR4c6u.Htxafz1S5COOZIWaKSFHVZ0ZYyPK0"),
        Vector(.joomla15, "6bf3889c770c47bc30110df5b371ac2c:FtzH9dNdQZYPvpn9RBp5JaVGUa6nlDvl"),
        Vector(.ssha, "TZgPw6HJaiWzaqkXgAyyyh2IoGhjNGVm"),
        Vector(.sha512, "ee5f868a7d5194434d0a70c8464439848fc5f8b0719f3929877e05b62053edd6fca02171ce561da335632d6e3e59f1b47059cd2b83e940702eab3a3f4305185f"),
        Vector(.sha256, "c6e8cefec7fea272e327c452c74cf7f6335193efb28dfb7063cf22b998fc6f9a"),
        Vector(.crypt, "$2y$10$onYkUEKoKBcWnrgFqjq5.eTPF1oRE.WZ9bG6u9MqgUVDeukGzyqIy"),
    ]

    func verify(_ vector: Vector, _ password: String) -> VerificationResult {
        PasswordSchemes.verify(
            mode: vector.mode, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(Array(vector.stored.utf8)),
            context: VerificationContext(useMySQL323: vector.use323))
    }

    func testEveryVectorAcceptsItsPasswordAndRejectsAWrongOne() {
        for (vectors, password) in [(Self.secretVectors, "secret"), (Self.upstreamVectors, "this is a passwd")] {
            for vector in vectors {
                XCTAssertEqual(verify(vector, password), .match, "\(vector.mode) \(vector.stored)", file: vector.file, line: vector.line)
                XCTAssertEqual(verify(vector, "x" + password), .mismatch, "\(vector.mode) \(vector.stored)", file: vector.file, line: vector.line)
                XCTAssertEqual(verify(vector, ""), .mismatch, "\(vector.mode) empty password", file: vector.file, line: vector.line)
            }
        }
    }

    func testHexDigestsAreCaseSensitiveLikeStrcmp() {
        // pam_mysql's strcmp never matched the other case; we refuse it with a reason.
        for vector in [Vector(.md5, "5EBE2294ECD0E0F08EAB7690D2A6EE69"), Vector(.sha1, "E5E9FA1BA31ECD1AE84F75CAAA474F3A663F05F4"),
                       Vector(.mysql, "*14e65567abdb5135d0cfd9a70b3032c179a49ee7")] {
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
        XCTAssertEqual(PasswordSchemes.verify(mode: .plain, password: SecretBytes(Array("sec".utf8)), stored: stored, context: .init()), .mismatch)
        XCTAssertEqual(PasswordSchemes.verify(mode: .plain, password: SecretBytes([]), stored: SecretBytes([]), context: .init()), .match)
    }

    func testMySQL323SkipsBlanks() {
        XCTAssertEqual(verify(Vector(.mysql, "428567f408994404", use323: true), "se cr\tet"), .match)
    }
}
