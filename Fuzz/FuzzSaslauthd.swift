// fuzz-saslauthd: byte 0 picks the field limit (256, 1, 16 or 1024), the rest is what a client
// sent on a saslauthd socket. Beyond "no crash": a request re-encodes to exactly the bytes it
// consumed, respects the limit and has a login and a password; the bytes before a four-field
// request's end are incomplete, and so is every prefix of an incomplete buffer.
func fuzzSaslauthd(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let limits = SaslauthdLimits(maximumFieldLength: [256, 1, 16, 1024][Int(first & 3)])
    let bytes = input.dropFirst()
    switch SaslauthdDecoder.decode(bytes, limits: limits) {
    case .incomplete:
        guard case .incomplete = SaslauthdDecoder.decode(bytes.prefix(bytes.count / 2), limits: limits) else {
            fatalError("a prefix of an incomplete request is not incomplete")
        }
    case .request(let request, let consumed):
        var fields = [request.login, request.password.withUnsafeBytes { Array($0) }, request.service, request.realm]
        if let address = request.clientAddress { fields.append(address) }
        let encoded = fields.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xff)] + $0 }
        guard encoded == Array(bytes.prefix(consumed)), consumed <= bytes.count else { fatalError("request does not re-encode") }
        guard fields.allSatisfy({ $0.count <= limits.maximumFieldLength }) else { fatalError("field over the limit") }
        guard !request.login.isEmpty, !request.password.isEmpty else { fatalError("empty login or password accepted") }
        if request.clientAddress == nil {
            guard case .incomplete = SaslauthdDecoder.decode(bytes.prefix(consumed - 1), limits: limits) else {
                fatalError("a request cut by one byte is not incomplete")
            }
        }
    case .invalid(let error):
        let reply = error.reply.encoded
        guard reply.count >= 5, Int(reply[0]) << 8 | Int(reply[1]) == reply.count - 2 else { fatalError("bad NO reply") }
        _ = error.description.utf8.count
    }
    let reply = SaslauthdReply.no(String(decoding: bytes, as: UTF8.self)).encoded
    guard Int(reply[0]) << 8 | Int(reply[1]) == reply.count - 2, reply.dropFirst(2).allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
        fatalError("reply is not one counted string of printable ASCII")
    }
}
