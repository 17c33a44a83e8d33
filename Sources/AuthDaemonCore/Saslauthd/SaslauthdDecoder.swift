import PAMMySQLCore

/// Decodes one saslauthd request from the bytes received so far (`saslauthd/ipc_unix.c`
/// `do_request`): counted strings, each a big-endian 16-bit length and that many bytes.
///
/// Released clients (every tag up to 2.1.28) send four fields and then wait for the answer with
/// no timeout; unreleased ones append a fifth (`client_addr`). So the fifth is read only when
/// all of its bytes are already in the buffer once the four are complete: waiting for it would
/// hang every released client. The client writes its whole request in one `writev`, so a fifth
/// field that is on its way arrives together with the four.
public enum SaslauthdDecoder {
    public static func decode<C: Collection>(_ buffer: C, limits: SaslauthdLimits = SaslauthdLimits()) -> SaslauthdFrame
    where C.Element == UInt8 {
        var reader = CountedStringReader(buffer, limit: limits.maximumFieldLength)
        var fields: [[UInt8]] = []
        var password: SecretBytes?
        for field in [SaslauthdField.login, .password, .service, .realm] {
            switch reader.next(field) {
            case .incomplete: return .incomplete
            case .tooLong(let length): return .invalid(.fieldTooLong(field, length: length, limit: limits.maximumFieldLength))
            case .field(let range):
                if field == .password {
                    password = reader.secret(range)
                    fields.append([])
                } else {
                    fields.append(reader.bytes(range))
                }
            }
        }
        var consumed = reader.offset
        var clientAddress: [UInt8]?
        switch reader.next(.clientAddress) {
        case .incomplete: break
        case .tooLong(let length):
            return .invalid(.fieldTooLong(.clientAddress, length: length, limit: limits.maximumFieldLength))
        case .field(let range):
            clientAddress = reader.bytes(range)
            consumed = reader.offset
        }
        // saslauthd checks the login first, then the password, once the request is read.
        guard !fields[0].isEmpty else { return .invalid(.emptyLogin) }
        guard let password, !password.isEmpty else { return .invalid(.emptyPassword) }
        let request = SaslauthdRequest(
            login: fields[0], password: password, service: fields[2], realm: fields[3], clientAddress: clientAddress)
        return .request(request, consumed: consumed)
    }
}

/// Walks counted strings over any collection of bytes without copying until a field is whole.
private struct CountedStringReader<C: Collection> where C.Element == UInt8 {
    enum Step {
        case incomplete
        case tooLong(Int)
        case field(Range<C.Index>)
    }

    let buffer: C
    let limit: Int
    var index: C.Index
    private(set) var offset = 0

    init(_ buffer: C, limit: Int) {
        self.buffer = buffer
        self.limit = limit
        index = buffer.startIndex
    }

    /// The next counted string: too long is known from the count alone, before its bytes arrive.
    mutating func next(_ field: SaslauthdField) -> Step {
        guard index != buffer.endIndex else { return .incomplete }
        let high = buffer[index]
        let second = buffer.index(after: index)
        guard second != buffer.endIndex else { return .incomplete }
        let length = Int(high) << 8 | Int(buffer[second])
        guard length <= limit else { return .tooLong(length) }
        let start = buffer.index(after: second)
        guard let end = buffer.index(start, offsetBy: length, limitedBy: buffer.endIndex) else { return .incomplete }
        index = end
        offset += 2 + length
        return .field(start..<end)
    }

    func bytes(_ range: Range<C.Index>) -> [UInt8] { Array(buffer[range]) }

    /// Copied straight into the secret's own buffer: no intermediate array that would stay unwiped.
    func secret(_ range: Range<C.Index>) -> SecretBytes {
        let slice = buffer[range]
        if let copy = slice.withContiguousStorageIfAvailable({ SecretBytes(copying: UnsafeRawBufferPointer($0)) }) {
            return copy
        }
        let copy = SecretBytes(zeroedCount: slice.count)
        copy.withUnsafeMutableBytes { target in
            for (offset, byte) in slice.enumerated() { target[offset] = byte }
        }
        return copy
    }
}
