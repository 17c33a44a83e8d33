import AccountDatabase
import PAMMySQLCore

/// A connection that answers from a script instead of a server.
final class FakeConnection: DatabaseConnection {
    let identity: ConnectionIdentity
    let serverIndex: Int
    var isUsableInThisProcess = true
    private(set) var abandoned = false
    private(set) var statements: [String] = []
    var pingAnswers = true
    var answer: (String) -> Result<StatementResult, DatabaseError>

    init(identity: ConnectionIdentity, serverIndex: Int, answer: @escaping (String) -> Result<StatementResult, DatabaseError>) {
        self.identity = identity
        self.serverIndex = serverIndex
        self.answer = answer
    }

    func abandon() {
        abandoned = true
        isUsableInThisProcess = false
    }

    func ping() -> Bool { pingAnswers }

    func serves(_ other: ConnectionIdentity) -> Bool { identity.matches(other) }

    func execute(_ sql: String, parameters: [SecretBytes], maximumValueLength: Int) -> Result<StatementResult, DatabaseError> {
        statements.append(sql)
        return answer(sql)
    }
}

/// Servers for a session: which ones refuse to connect, what the connections answer, and
/// every connection opened.
final class FakeServers {
    var refusing: Set<Int> = []
    var answer: (String) -> Result<StatementResult, DatabaseError> = { _ in .success(StatementResult(rowCount: 0, firstRow: [])) }
    /// When set, answers instead of `answer`, by server index and SQL (one server of a list failing).
    var answerFor: ((Int, String) -> Result<StatementResult, DatabaseError>)?
    private(set) var opened: [FakeConnection] = []
    private(set) var attempts: [Int] = []

    var opener: ConnectionOpener {
        { [unowned self] _, identity, index in
            attempts.append(index)
            if refusing.contains(index) {
                return .failure(DatabaseError(kind: .unavailable, code: 2003, message: "Can't connect to server \(index + 1)"))
            }
            let connection = FakeConnection(identity: identity, serverIndex: index) { [unowned self] sql in
                answerFor?(index, sql) ?? answer(sql)
            }
            opened.append(connection)
            return .success(connection)
        }
    }

    /// One row of `values` (the status column first, then the password, as the module's
    /// combined statement selects them).
    static func rows(_ count: UInt64, _ values: [String?]) -> Result<StatementResult, DatabaseError> {
        .success(StatementResult(rowCount: count, firstRow: values.map { $0.map { SecretBytes(Array($0.utf8)) } }))
    }
}

/// Options for a table `users(username, password, status)` on `hosts`.
func tableOptions(
    hosts: String = "127.0.0.1:3306", crypt: CryptMode = .plain, _ extra: (inout ModuleOptions) -> Void = { _ in }
) -> ModuleOptions {
    var options = ModuleOptions()
    options.host = hosts
    options.user = "pam"
    options.db = "mail"
    options.table = "users"
    options.userColumn = "username"
    options.passwdColumn = "password"
    options.crypt = crypt
    extra(&options)
    return options
}

/// A log that keeps its lines.
final class LogLines {
    var lines: [(LogPriority, String)] = []
    var log: DatabaseLog { DatabaseLog { [unowned self] in lines.append(($0, $1)) } }
    var messages: [String] { lines.map { $0.1 } }
}
