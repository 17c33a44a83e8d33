/// What the bytes received so far on a saslauthd connection amount to.
public enum SaslauthdFrame {
    /// The four fields are not all there yet: read more (the client sends one `writev`, so this
    /// lasts until the rest of that write arrives).
    case incomplete
    /// A whole request; `consumed` bytes of the buffer belong to it. Bytes after them are not
    /// part of any request (saslauthd drains them until the client closes).
    case request(SaslauthdRequest, consumed: Int)
    /// Refused without looking at any account; answer with `error.reply` (or the caller's
    /// mapping) and close.
    case invalid(SaslauthdProtocolError)
}

extension SaslauthdFrame: @unchecked Sendable {}
