// fuzz-dovecot-auth: byte 0 sets the session (0x01 require secured for plaintext, 0x02 two
// requests in flight, 0x04 PLAIN only, 0x08 a 5 s expiry); the rest is what a client sent on a
// Dovecot auth socket, framed by DovecotLineFramer (whole and byte by byte: the same lines) and
// fed to one DovecotAuthSession, one second apart. Attempts are answered in turn with accepted,
// refused, a temporary failure, or left pending. Beyond "no crash": every line sent is one
// OK/FAIL/CONT line with its only LF at the end and no NUL or CR, `user=` never carries a byte
// Postfix would split on, the in-flight limit holds, and nothing happens once closed.
func fuzzDovecotAuth(_ input: [UInt8]) {
    guard let first = input.first else { return }
    var configuration = DovecotSessionConfiguration(
        mechanisms: first & 4 != 0 ? [.plain] : DovecotMechanism.allCases, requireSecuredForPlaintext: first & 1 != 0,
        maximumRequestsInFlight: first & 2 != 0 ? 2 : 16, serverProcessID: 1, connectionID: 1,
        cookie: DovecotSessionConfiguration.cookie(fromBytes: [UInt8](repeating: 0xab, count: 16)))
    if first & 8 != 0 { configuration.requestExpirySeconds = 5 }
    var session = DovecotAuthSession(configuration: configuration)
    _ = session.greeting()

    let bytes = input.dropFirst()
    var whole = DovecotLineFramer(maximumLineLength: 1024)
    var single = DovecotLineFramer(maximumLineLength: 1024)
    let events = whole.feed(bytes)
    var byByte: [DovecotLineFramer.Event] = []
    for byte in bytes { byByte += single.feed(CollectionOfOne(byte)) }
    guard events == byByte else { fatalError("framing depends on how the bytes arrive") }

    var now: UInt64 = 0
    var turn = 0
    var pending: [UInt32] = []
    func check(_ actions: [DovecotAction], wasClosed: Bool) -> [DovecotLoginAttempt] {
        guard !wasClosed || actions.isEmpty else { fatalError("actions after close") }
        var attempts: [DovecotLoginAttempt] = []
        for action in actions {
            switch action {
            case .send(let line): fuzzCheckServerLine(line)
            case .verify(let attempt):
                guard DovecotUserName.isAcceptable(attempt.user), !attempt.password.isEmpty else { fatalError("bad attempt") }
                attempts.append(attempt)
            case .close(let reason): _ = reason.utf8.count
            }
        }
        guard session.requestsInFlight <= configuration.maximumRequestsInFlight else { fatalError("in-flight limit broken") }
        return attempts
    }
    for event in events {
        guard case .line(let line) = event else { break }
        now += 1000
        let closed = session.isClosed
        for attempt in check(session.receive(line: line, now: now), wasClosed: closed) {
            turn += 1
            let user = turn % 5 == 0 ? attempt.user + [0x09] : attempt.user
            let verdict: DovecotVerdict
            switch turn % 4 {
            case 0: verdict = .accepted(user: user)
            case 1: verdict = .refused(user: user, reason: "Authentication failed\tx")
            case 2: verdict = .temporaryFailure
            default:
                pending.append(attempt.id)
                continue
            }
            let before = session.isClosed
            _ = check(session.complete(id: attempt.id, verdict: verdict), wasClosed: before)
        }
        _ = check(session.expire(now: now), wasClosed: session.isClosed)
    }
    for id in pending {
        let before = session.isClosed
        _ = check(session.complete(id: id, verdict: .accepted(user: [0x75])), wasClosed: before)
    }
    _ = session.expire(now: UInt64.max)
    guard session.requestsInFlight == 0 || !session.isClosed else { fatalError("requests left on a closed session") }
    guard DovecotTabEscape.unescaped(DovecotTabEscape.escaped(bytes)) == Array(bytes) else { fatalError("escaping does not round-trip") }
}

/// One server line as Postfix's reader takes it: OK/FAIL/CONT, a single LF at the end, no NUL
/// or CR, and a `user=` without TAB (the split) or `\x01`.
func fuzzCheckServerLine(_ line: [UInt8]) {
    guard line.last == 0x0a, line.filter({ $0 == 0x0a }).count == 1, !line.contains(0), !line.contains(0x0d) else {
        fatalError("server line is not one line")
    }
    let text = String(decoding: line, as: UTF8.self)
    guard text.hasPrefix("OK\t") || text.hasPrefix("FAIL\t") || text.hasPrefix("CONT\t") else { fatalError("unknown server line") }
    for field in line.dropLast().split(separator: 0x09) where field.starts(with: Array("user=".utf8)) {
        guard !field.contains(0x01), field.count > 5 else { fatalError("user= cannot be sent") }
    }
}
