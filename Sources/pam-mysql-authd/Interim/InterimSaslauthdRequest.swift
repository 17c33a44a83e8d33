import PAMMySQLCore

/// saslauthd's request (counted strings: login, password, service, realm, and the 5th field of
/// unreleased clients when its bytes are already there), parsed from what has arrived.
///
/// Interim: the proto branch's `SaslauthdDecoder` replaces this file.
struct InterimSaslauthdRequest {
    /// saslauthd's MAX_REQ_LEN: a longer field gets `NO ` with an empty message.
    static let maximumFieldLength = 256
    /// The whole request as libsasl caps it.
    static let maximumRequestLength = 8192

    let login: [UInt8]
    let password: SecretBytes
    let service: [UInt8]
    let realm: [UInt8]
    let clientAddress: [UInt8]?

    enum Parse {
        case needMore
        case request(InterimSaslauthdRequest)
        /// A field over the limit: answered `NO ` (saslauthd's reply), then closed.
        case fieldTooLong
    }

    /// Parses `bytes` (everything received so far). The 5th field is read only when its count
    /// and bytes are already there: released clients send four and wait forever for the reply.
    static func parse(_ bytes: [UInt8]) -> Parse {
        var offset = 0
        var fields: [ArraySlice<UInt8>] = []
        while fields.count < 5 {
            guard offset + 2 <= bytes.count else { break }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard length <= maximumFieldLength else { return .fieldTooLong }
            guard offset + 2 + length <= bytes.count else { break }
            fields.append(bytes[(offset + 2)..<(offset + 2 + length)])
            offset += 2 + length
        }
        guard fields.count >= 4 else { return .needMore }
        // A 5th count that arrived without all of its bytes: they come in the same writev.
        if fields.count == 4, offset < bytes.count { return .needMore }
        let request = InterimSaslauthdRequest(
            login: Array(fields[0]), password: SecretBytes(fields[1]), service: Array(fields[2]), realm: Array(fields[3]),
            clientAddress: fields.count == 5 ? Array(fields[4]) : nil)
        return .request(request)
    }
}
