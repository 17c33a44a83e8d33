import PAMMySQLCore
import XCTest

/// What chauthtok stores: a value each mode's own verifier accepts, with a fresh random salt.
final class NewPasswordHashTests: XCTestCase {
    func make(_ mode: CryptMode, _ password: String, method: CryptMethod? = nil, md5: Bool = true, use323: Bool = false) throws -> [UInt8] {
        let result = NewPasswordHash.make(
            mode: mode, password: SecretBytes(Array(password.utf8)), cryptMethod: method, md5: md5, useMySQL323: use323)
        return try result.get().withUnsafeBytes { Array($0) }
    }

    func verify(_ mode: CryptMode, _ password: String, _ stored: [UInt8], use323: Bool = false) -> VerificationResult {
        PasswordSchemes.verify(
            mode: mode, password: SecretBytes(Array(password.utf8)), stored: SecretBytes(stored),
            context: VerificationContext(useMySQL323: use323))
    }

    func testEveryModeStoresAValueItsVerifierAccepts() throws {
        for mode in CryptMode.allCases {
            let stored = try make(mode, "n3w-Passw0rd")
            XCTAssertFalse(stored.isEmpty, "\(mode)")  // pam_mysql wrote '' for drupal7 and ssha
            XCTAssertEqual(verify(mode, "n3w-Passw0rd", stored), .match, "\(mode)")
            XCTAssertEqual(verify(mode, "other", stored), .mismatch, "\(mode)")
        }
        let old = try make(.mysql, "secret", use323: true)
        XCTAssertEqual(String(decoding: old, as: UTF8.self), "428567f408994404")
    }

    func testSaltsAreRandomNotDerivedFromThePassword() throws {
        // pam_mysql's crypt=1 salt came from the password: the same password gave the same hash.
        for mode in [CryptMode.crypt, .drupal7, .joomla15, .ssha] {
            XCTAssertNotEqual(try make(mode, "newpw"), try make(mode, "newpw"), "\(mode)")
        }
    }

    func testCryptMethodFollowsMD5FlagUnlessChosen() throws {
        XCTAssertTrue(String(decoding: try make(.crypt, "pw"), as: UTF8.self).hasPrefix("$1$"))
        XCTAssertEqual(try make(.crypt, "pw", md5: false).count, 13)  // DES
        let prefixes: [CryptMethod: String] = [.yescrypt: "$y$", .sha512: "$6$", .sha256: "$5$", .bcrypt: "$2b$10$", .md5: "$1$"]
        for (method, prefix) in prefixes {
            let stored = try make(.crypt, "pw", method: method)
            XCTAssertTrue(String(decoding: stored, as: UTF8.self).hasPrefix(prefix), "\(method)")
            XCTAssertEqual(verify(.crypt, "pw", stored), .match, "\(method)")
        }
    }

    func testJoomlaSaltsAvoidSQLAndSeparatorCharacters() throws {
        let stored = String(decoding: try make(.joomla15, "pw"), as: UTF8.self)
        let salt = stored.split(separator: ":", maxSplits: 1)[1]
        XCTAssertEqual(salt.count, 32)
        XCTAssertTrue(salt.allSatisfy { $0.isLetter || $0.isNumber })
    }

    func testOverlongNewPasswordsAreRefused() {
        let long = String(repeating: "a", count: 513)
        XCTAssertThrowsError(try make(.md5, long))
    }

    func testCryptMethodOption() throws {
        var options = ModuleOptions()
        try ModuleArgumentParser.apply([SecretBytes(Array("crypt_method=SHA512".utf8))], to: &options) { _, _ in }
        XCTAssertEqual(options.cryptMethod, .sha512)
        XCTAssertThrowsError(try ModuleArgumentParser.apply([SecretBytes(Array("crypt_method=argon2".utf8))], to: &options) { _, _ in })
    }

    func testUpdateAndLogStatements() {
        var options = ModuleOptions()
        options.table = "mailbox"
        options.userColumn = "username"
        options.passwdColumn = "password"
        options.updateTable = "ignored"
        options.whereClause = "active=1"
        XCTAssertEqual(SQLStatements.passwordUpdate(options), "UPDATE mailbox SET password = ? WHERE username = ? AND (active=1)")
        XCTAssertEqual(SQLStatements.missingLogOption(options), "logtable")
        options.logTable = "log"
        options.logMessageColumn = "msg"
        options.logUserColumn = "user"
        options.logHostColumn = "host"
        options.logTimeColumn = "logtime"
        XCTAssertEqual(SQLStatements.missingLogOption(options), "logpidcolumn")
        options.logPIDColumn = "pid"
        XCTAssertNil(SQLStatements.missingLogOption(options))
        XCTAssertEqual(SQLStatements.logInsert(options), "INSERT INTO log (msg, user, host, pid, logtime) VALUES (?, ?, ?, ?, NOW())")
        options.logRHostColumn = "rhost"
        XCTAssertEqual(
            SQLStatements.logInsert(options), "INSERT INTO log (msg, user, host, rhost, pid, logtime) VALUES (?, ?, ?, ?, ?, NOW())")
    }
}
