import AuthDaemonCore

/// The protocols the daemon speaks, each on its own sockets.
enum ListenerKind: String, Sendable {
    case saslauthd
    case dovecot
}

/// Where one listener comes from: a path the daemon binds, or a socket systemd handed over.
enum ListenerSource: Sendable {
    /// A path with the mode and ownership the configuration gives it.
    case path(AuthdSocket)
    case descriptor(Int32, name: String)
}

/// One socket to serve.
struct ListenerPlan: Sendable {
    let kind: ListenerKind
    let source: ListenerSource
}
