#if canImport(Glibc)
import Glibc
#endif
import PAMMySQLCore

/// What the module keeps per PAM handle: the options (sticky across the lines and calls of one
/// transaction, as in pam_mysql) and the open connection. Stored with `pam_set_data` and
/// released by libpam's cleanup at `pam_end()`.
final class ModuleContext {
    static let dataName = "pam_mysql_swift_context"

    var options = ModuleOptions()
    private var connection: MariaDBConnection?

    /// The handle's context, created on first use.
    static func retrieve(_ pam: PAMHandle) -> ModuleContext? {
        if let existing = pam.data(named: dataName) {
            return Unmanaged<ModuleContext>.fromOpaque(existing).takeUnretainedValue()
        }
        let context = ModuleContext()
        let pointer = Unmanaged.passRetained(context).toOpaque()
        let status = pam.setData(named: dataName, pointer) { _, data, _ in
            if let data { Unmanaged<ModuleContext>.fromOpaque(data).release() }
        }
        guard status == 0 else {
            Unmanaged<ModuleContext>.fromOpaque(pointer).release()
            return nil
        }
        return context
    }

    /// Runs a statement on this handle's connection, opening it if needed. A reused connection
    /// that turns out to be gone (server restart, `wait_timeout`) is replaced and the statement
    /// sent once more; a fresh one is never retried.
    func execute(_ sql: String, parameters: [SecretBytes], trace: (String) -> Void) -> Result<StatementResult, DatabaseError> {
        let identity = ConnectionIdentity(options)
        var reused = false
        if let current = connection, current.isUsableInThisProcess, current.identity.matches(identity) {
            reused = true
            trace("reusing the open connection")
        } else {
            dropConnection()
        }
        for attempt in 0..<2 {
            let open: MariaDBConnection
            if let current = connection {
                open = current
            } else {
                trace("connecting to \(identity.address.description) as \(LogText.escaped(identity.user))")
                switch MariaDBConnection.open(options) {
                case .success(let fresh): open = fresh
                case .failure(let error): return .failure(error)
                }
                connection = open
            }
            let result = open.execute(sql, parameters: parameters, maximumValueLength: maximumStoredValueLength)
            if case .failure(let error) = result, error.isLostConnection, reused, attempt == 0 {
                trace("the open connection was lost (\(LogText.escaped(error.message))); reconnecting once")
                dropConnection()
                reused = false
                continue
            }
            if case .failure(let error) = result, error.kind == .unavailable { dropConnection() }
            return result
        }
        return .failure(DatabaseError(kind: .unavailable, code: 2006, message: "connection lost"))
    }

    /// Opens the connection if there is no usable one (chauthtok's first step).
    func connect(trace: (String) -> Void) -> Result<Void, DatabaseError> {
        let identity = ConnectionIdentity(options)
        if let current = connection, current.isUsableInThisProcess, current.identity.matches(identity) {
            return .success(())
        }
        dropConnection()
        trace("connecting to \(identity.address.description) as \(LogText.escaped(identity.user))")
        switch MariaDBConnection.open(options) {
        case .success(let fresh):
            connection = fresh
            return .success(())
        case .failure(let error): return .failure(error)
        }
    }

    func dropConnection() {
        connection = nil
    }
}
