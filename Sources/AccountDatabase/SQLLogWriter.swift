import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The messages pam_mysql writes into the log table, verbatim: tools grep for them, the
/// `FALURE` typo included.
package enum SQLLogMessage: String {
    case authenticationSuccessFirstPass = "AUTHENTICATION SUCCESS (FIRST_PASS)"
    case authenticationFailureFirstPass = "AUTHENTICATION FALURE (FIRST_PASS)"
    case authenticationSuccess = "AUTHENTICATION SUCCESS"
    case authenticationFailure = "AUTHENTICATION FAILURE"
    case queryingSuccess = "QUERYING SUCCESS"
    case queryingFailure = "QUERYING FAILURE"
    case alterationSuccess = "ALTERATION SUCCESS"
    case alterationFailure = "ALTERATION FAILURE"
    case openSession = "OPEN SESSION"
    case closeSession = "CLOSE SESSION"
}

extension DatabaseSession {
    /// With `sqllog`, inserts one row into the log table: the message, the user, this host's
    /// address, the remote host the front end was given (PAM_RHOST, the daemon's `rip=`) when
    /// the table has a column for it, and the process id. Its failure is logged and never
    /// changes the answer, as in pam_mysql.
    package func writeSQLLog(_ message: SQLLogMessage, user: [UInt8], remoteHost: String?) {
        guard options.sqlLog else { return }
        if let missing = SQLStatements.missingLogOption(options) {
            log(.err, "sqllog set but \(missing) not set")
            return
        }
        var values = [Array(message.rawValue.utf8), user, Array(localHostAddress.utf8)]
        if options.logRHostColumn != nil { values.append(Array((remoteHost ?? "(unknown)").utf8)) }
        values.append(Array(String(getpid()).utf8))
        let sql = SQLStatements.logInsert(options)
        log.trace("sql log: \(LogText.escaped(sql, limit: 1024))")
        if case .failure(let error) = execute(sql, parameters: values.map { SecretBytes($0) }) {
            log(.err, "MySQL error (\(LogText.escaped(error.message, limit: 256)))")
        }
    }
}

/// The address pam_mysql logs as the host column: the local host name resolved, IPv4 first
/// (pam_mysql knew only IPv4), else IPv6, else `(unknown)`. Resolved once per process.
private let localHostAddress: String = {
    var name = [CChar](repeating: 0, count: 256)
    guard gethostname(&name, name.count - 1) == 0 else { return "(unknown)" }
    for family in [AF_INET, AF_INET6] {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { continue }
        defer { freeaddrinfo(result) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted: UnsafePointer<CChar>?
        if family == AF_INET {
            var address = UnsafeRawPointer(first.pointee.ai_addr).loadUnaligned(as: sockaddr_in.self).sin_addr
            converted = inet_ntop(family, &address, &text, socklen_t(text.count))
        } else {
            var address = UnsafeRawPointer(first.pointee.ai_addr).loadUnaligned(as: sockaddr_in6.self).sin6_addr
            converted = inet_ntop(family, &address, &text, socklen_t(text.count))
        }
        if converted != nil {
            return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
    return "(unknown)"
}()
