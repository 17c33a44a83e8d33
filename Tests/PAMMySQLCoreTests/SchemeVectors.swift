import Foundation
import PAMMySQLCore

/// The published vectors of Tests/vectors/password_schemes.json, which the integration tests read
/// too (pamharness.scheme_vectors): one file, so the two suites cannot drift apart.
struct SchemeVectors: Decodable {
    /// A `crypt=N` value of pam_mysql's modes.
    struct PAMMySQL: Decodable {
        let label: String
        let crypt: Int
        let password: String
        let stored: String
        let use323Passwd: Bool?
        /// "rejects" where Debian's pam_mysql 0.8.2 does not accept the value (its bug).
        let cModule: String?

        var mode: CryptMode? { CryptMode(rawValue: crypt) }
    }

    /// A `crypt=dovecot` value: Dovecot's, `doveadm pw`'s or postfixadmin's.
    struct Dovecot: Decodable {
        let stored: String
        let password: String
        let user: String?
        let defaultPassScheme: String?
        let source: String
    }

    let pamMySQL: [PAMMySQL]
    let dovecot: [Dovecot]

    private enum CodingKeys: String, CodingKey {
        case pamMySQL = "pamMysql"
        case dovecot
    }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vectors/password_schemes.json")

    static func load() throws -> SchemeVectors {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SchemeVectors.self, from: Data(contentsOf: file))
    }
}
