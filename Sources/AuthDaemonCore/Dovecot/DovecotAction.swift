/// What the connection must do next, in order.
public enum DovecotAction {
    /// Write these bytes (whole lines, each ending in LF).
    case send([UInt8])
    /// Verify this user name and password, then call `complete(id:verdict:)`.
    case verify(DovecotLoginAttempt)
    /// Close the connection (after writing what came before); the reason is for the log and
    /// never holds client bytes unescaped or any secret.
    case close(reason: String)
}

extension DovecotAction: @unchecked Sendable {}
