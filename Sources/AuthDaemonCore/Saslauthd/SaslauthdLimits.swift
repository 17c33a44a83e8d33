/// Bounds of one saslauthd request.
public struct SaslauthdLimits: Sendable, Equatable {
    /// saslauthd's `MAX_REQ_LEN` (`saslauthd/saslauthd-main.h`): a longer field is refused before
    /// its bytes are read. A larger value is harmless (the client caps a request at 8 KiB).
    public static let saslauthdFieldLength = 256

    /// The longest field accepted, in bytes.
    public var maximumFieldLength: Int

    /// The most bytes a request can take (five counted strings at the limit): a connection that
    /// has sent more than this without a request has sent garbage, and nothing more need be read.
    public var maximumRequestLength: Int { SaslauthdField.allCases.count * (2 + maximumFieldLength) }

    public init(maximumFieldLength: Int = SaslauthdLimits.saslauthdFieldLength) {
        self.maximumFieldLength = max(maximumFieldLength, 1)
    }
}
