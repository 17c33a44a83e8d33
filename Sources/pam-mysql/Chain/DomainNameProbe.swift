import AccountDatabase
import PAMMySQLCore
import PAMStack

/// Whether the table's user names carry a domain (`user@example.org`): then saslauthd needs
/// `-r`, or PAM sees only the part before the `@` and pam_mysql finds no row. Asked with
/// the first pam_mysql line's own options (its table, user column and where=).
enum DomainNameProbe {
    /// true/false, or nil when it cannot be told (a custom query=, no connection).
    static func namesCarryDomain(_ lines: [PAMLine]) -> Bool? {
        var options = ModuleOptions()
        for line in lines where line.type == "auth" || line.type.isEmpty {
            guard
                (try? ModuleConfiguration.update(&options, arguments: line.arguments.map { SecretBytes(Array($0.utf8)) }, notices: { _ in }))
                    != nil
            else { return nil }
            break
        }
        return namesCarryDomain(options)
    }

    /// The same with options already resolved (pam-mysql-authd's plan for a service).
    static func namesCarryDomain(_ options: ModuleOptions) -> Bool? {
        guard options.query == nil, let table = options.table, let column = options.userColumn, options.db != nil else { return nil }
        var sql = "SELECT \(column) FROM \(table) WHERE \(column) LIKE '%@%'"
        if let condition = options.whereClause { sql += " AND (\(condition))" }
        sql += " LIMIT 1"
        let session = DatabaseSession(options: options, log: DatabaseLog(verbose: false, sink: { _, _ in }))
        defer { session.end() }
        return LoginDeadline.with(seconds: options.loginTimeout) {
            switch session.execute(sql, parameters: []) {
            case .success(let result): return result.rowCount > 0
            case .failure: return nil
            }
        }
    }
}
