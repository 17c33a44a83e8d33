import PAMMySQLCore

/// What a session and the pool need of an open connection. `MariaDBConnection` is the real
/// one; the unit tests drive the session, the pool and the login decision through a fake.
package protocol DatabaseConnection: AnyObject {
    var identity: ConnectionIdentity { get }
    /// Whether this connection can serve `identity` (compared in place: reading `identity`
    /// through the protocol copies it).
    func serves(_ identity: ConnectionIdentity) -> Bool
    /// Which entry of `identity.servers` this connection goes to.
    var serverIndex: Int { get }
    /// False in a child of `fork()` (the connection is the parent's) or once abandoned.
    var isUsableInThisProcess: Bool { get }
    /// Forgets a connection inherited through `fork()` without sending anything.
    func abandon()
    /// One round trip to check the server still answers.
    func ping() -> Bool
    /// Runs `sql` with `parameters` bound as strings, one per `?`.
    func execute(_ sql: String, parameters: [SecretBytes], maximumValueLength: Int) -> Result<StatementResult, DatabaseError>
}

/// Opens a connection to entry `serverIndex` of the identity's server list.
package typealias ConnectionOpener =
    (_ options: ModuleOptions, _ identity: ConnectionIdentity, _ serverIndex: Int) -> Result<any DatabaseConnection, DatabaseError>
