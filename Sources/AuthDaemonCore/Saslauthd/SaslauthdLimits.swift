/// Bounds of one saslauthd request.
public struct SaslauthdLimits: Sendable, Equatable {
    /// saslauthd's `MAX_REQ_LEN` (`saslauthd/saslauthd-main.h`): a longer field is refused before
    /// its bytes are read. A larger value is harmless (the client caps a request at 8 KiB).
    public static let saslauthdFieldLength = 256

    /// The longest field accepted, in bytes.
    public var maximumFieldLength: Int

    public init(maximumFieldLength: Int = SaslauthdLimits.saslauthdFieldLength) {
        self.maximumFieldLength = max(maximumFieldLength, 1)
    }
}
