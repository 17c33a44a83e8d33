import AccountDatabase
import PAMMySQLCore

/// What the module keeps per PAM handle: the database session, whose options are sticky across
/// the lines and calls of one transaction (as in pam_mysql), and a refused configuration.
/// Stored with `pam_set_data` and released by libpam's cleanup at `pam_end()`, which gives the
/// session's connection back to the process-wide pool.
final class ModuleContext {
    static let dataName = "pam_mysql_swift_context"

    let session: DatabaseSession

    /// The options in force: the session's (set once per call, which makes the session drop
    /// what it derived from the old ones).
    var options: ModuleOptions {
        get { session.options }
        set { session.options = newValue }
    }

    /// Set when a call's configuration was refused. Every later call on this handle is refused
    /// with the same reason: its options would otherwise miss what the refused line meant to
    /// add for the lines after it (options are sticky), such as its `config_file`.
    var refusedConfiguration: OptionError?

    private init(pam: PAMHandle) {
        // The handle outlives the context (libpam frees the context in pam_end), so the sink may
        // keep the raw pointer.
        session = DatabaseSession(
            log: DatabaseLog { [raw = pam.raw] priority, message in
                PAMHandle(raw: raw).log(priority, message)
            })
    }

    /// The handle's context, created on first use.
    static func retrieve(_ pam: PAMHandle) -> ModuleContext? {
        if let existing = pam.data(named: dataName) {
            return Unmanaged<ModuleContext>.fromOpaque(existing).takeUnretainedValue()
        }
        let context = ModuleContext(pam: pam)
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
}
