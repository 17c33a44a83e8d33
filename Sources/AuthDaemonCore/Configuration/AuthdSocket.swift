/// A UNIX socket to listen on. `owner`/`group` are names or numbers, resolved by the daemon.
public struct AuthdSocket: Sendable, Equatable {
    public var path: String
    public var mode: UInt32
    public var owner: String?
    public var group: String?

    public init(path: String, mode: UInt32, owner: String? = nil, group: String? = nil) {
        self.path = path
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    /// saslauthd makes its `mux` 0777 and lets the directory decide who may connect; 0666 is
    /// the same without the meaningless execute bits.
    public static let saslauthdDefaultMode: UInt32 = 0o666
    /// Dovecot's documented listener for Postfix: 0660, user and group postfix.
    public static let dovecotDefaultMode: UInt32 = 0o660
}
