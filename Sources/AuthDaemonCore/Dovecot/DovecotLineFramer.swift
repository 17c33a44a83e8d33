/// Splits a Dovecot-protocol byte stream into lines: LF ends a line, a CR before it is dropped,
/// and a line longer than the limit stops the framer (the caller closes the connection). A
/// partial line is bounded too, so a client that never sends LF cannot grow the buffer.
public struct DovecotLineFramer: Sendable {
    public enum Event: Sendable, Equatable {
        /// One line without its LF (and CR).
        case line([UInt8])
        /// More than `maximumLineLength` bytes without an LF; nothing more comes out.
        case lineTooLong
    }

    public let maximumLineLength: Int
    private var partial: [UInt8] = []
    public private(set) var failed = false

    public init(maximumLineLength: Int = DovecotSessionConfiguration.dovecotMaximumLineLength) {
        self.maximumLineLength = max(maximumLineLength, 1)
    }

    /// Bytes buffered that do not yet form a line.
    public var bufferedCount: Int { partial.count }

    /// Feeds received bytes; returns the lines they complete, in order, and `.lineTooLong` last
    /// when the limit is passed.
    public mutating func feed<C: Collection>(_ bytes: C) -> [Event] where C.Element == UInt8 {
        guard !failed else { return [] }
        var events: [Event] = []
        for byte in bytes {
            if byte == 0x0a {
                if partial.last == 0x0d { partial.removeLast() }
                guard partial.count <= maximumLineLength else { return stop(events) }
                events.append(.line(partial))
                partial.removeAll(keepingCapacity: true)
            } else {
                // One byte of slack for the CR that may precede the LF.
                guard partial.count <= maximumLineLength else { return stop(events) }
                partial.append(byte)
            }
        }
        return events
    }

    private mutating func stop(_ events: [Event]) -> [Event] {
        failed = true
        partial = []
        return events + [.lineTooLong]
    }
}
