import PAMMySQLCore

/// One client connection of Dovecot's auth protocol, server side, as Postfix's
/// `xsasl_dovecot_server.c` and `doveadm auth test -a` use it. No I/O: the caller writes
/// `greeting()` on accept, feeds each line, runs the verifications the session asks for and
/// reports their verdicts; every answer comes back as actions, in order.
///
/// What closes the connection (as Dovecot does, "BUG: ..."): a first line other than `VERSION`
/// with major 1, an unknown command, a second `CPID`, a malformed `AUTH` or `CONT`, a duplicate
/// id, a parameter after `resp=`, an `AUTH` without `service=`, a line too long or with a NUL
/// byte, a request over the in-flight limit when none can make room, and a temporary failure
/// (Postfix's 454). What is a `FAIL` (Postfix's 535): everything else about one request,
/// including an unknown mechanism (Dovecot closes there) and a `CONT` for an unknown id
/// ("Authentication request timed out", as Dovecot).
public struct DovecotAuthSession: Sendable {
    public let configuration: DovecotSessionConfiguration

    private enum Phase: Sendable {
        case awaitingVersion
        case ready
        case closed
    }

    private struct PendingRequest: Sendable {
        enum Step: Sendable {
            /// A `CONT` was sent; the client has until `deadline` (monotonic ms) to answer.
            case awaitingContinuation(DovecotMechanismState, deadline: UInt64)
            /// Handed to the daemon as a `DovecotLoginAttempt`; only `complete` ends it.
            case verifying
        }

        let id: UInt32
        let mechanism: DovecotMechanism
        let service: String
        let remoteAddress: String?
        let localAddress: String?
        let secured: Bool
        /// Order of arrival, to find the oldest.
        let sequence: UInt64
        var step: Step
    }

    private var phase = Phase.awaitingVersion
    private var sawClientProcessID = false
    private var requests: [UInt32: PendingRequest] = [:]
    private var sequence: UInt64 = 0

    public init(configuration: DovecotSessionConfiguration) {
        self.configuration = configuration
    }

    /// True once an action closed the connection; every later call returns no action.
    public var isClosed: Bool { phase == .closed }

    /// Requests of this connection not yet answered (waiting for the client or being verified).
    public var requestsInFlight: Int { requests.count }

    /// The earliest moment (monotonic ms) at which `expire(now:)` has something to drop.
    public var nextExpiry: UInt64? {
        requests.values.compactMap { request -> UInt64? in
            if case .awaitingContinuation(_, let deadline) = request.step { return deadline }
            return nil
        }.min()
    }

    /// The whole handshake, sent at once as Dovecot 2.3 does: `VERSION 1 2`, the `MECH` lines,
    /// then `SPID`, `CUID`, `COOKIE` and `DONE`. MECH must come before SPID: Postfix takes an
    /// SPID before any MECH for the auth-master socket ("Connected to wrong auth socket").
    public func greeting() -> [UInt8] {
        var lines = ["VERSION\t1\t2"]
        lines += configuration.mechanisms.map(\.handshakeLine)
        lines += [
            "SPID\t\(configuration.serverProcessID)", "CUID\t\(configuration.connectionID)", "COOKIE\t\(configuration.cookie)",
            "DONE",
        ]
        return Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// One line from the client, without its LF (and CR). `now` is a monotonic clock in ms.
    public mutating func receive(line: [UInt8], now: UInt64) -> [DovecotAction] {
        guard phase != .closed else { return [] }
        _ = expire(now: now)
        guard line.count <= configuration.maximumLineLength else {
            return close("line of \(line.count) bytes exceeds the limit of \(configuration.maximumLineLength) bytes")
        }
        guard !line.contains(0) else { return close("line with a NUL byte") }
        let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
        let head = fields.first ?? []
        let command = String(decoding: head, as: UTF8.self)
        if phase == .awaitingVersion {
            // auth_client_input: the first line must be VERSION with our major version.
            guard command == "VERSION", fields.count >= 2, let major = Self.number(fields[1]) else {
                return close("first line is not VERSION")
            }
            guard major == 1 else { return close("client protocol major version \(major), not 1") }
            phase = .ready
            return []
        }
        switch command {
        case "CPID":
            // The pid is ignored on client sockets ("the PIDs may conflict"); sent once.
            guard !sawClientProcessID else { return close("CPID sent twice") }
            guard fields.count >= 2, Self.number(fields[1]) != nil else { return close("malformed CPID") }
            sawClientProcessID = true
            return []
        case "AUTH": return begin(fields, now: now)
        case "CONT": return proceed(line, now: now)
        case "CANCEL":
            guard fields.count >= 2, let id = Self.number(fields[1]) else { return close("malformed CANCEL") }
            requests[id] = nil
            return []
        default:
            // Never the command itself in the log: a mistyped line may be a password.
            return close("unknown command of \(head.count) bytes")
        }
    }

    /// The verdict for a request handed out as `.verify`. A verdict for a request that is gone
    /// (cancelled, failed by an unexpected continuation, or the connection closed) is dropped.
    public mutating func complete(id: UInt32, verdict: DovecotVerdict) -> [DovecotAction] {
        guard phase != .closed, let request = requests[id], case .verifying = request.step else { return [] }
        requests[id] = nil
        switch verdict {
        case .accepted(let user):
            guard DovecotUserName.isAcceptable(user) else {
                return [.send(DovecotReply.fail(id: id, reason: "Invalid username").encoded)]
            }
            return [.send(DovecotReply.ok(id: id, user: user).encoded)]
        case .refused(let user, let reason):
            let shown = user.flatMap { DovecotUserName.isAcceptable($0) ? $0 : nil }
            return [.send(DovecotReply.fail(id: id, user: shown, reason: reason).encoded)]
        case .temporaryFailure:
            return close("temporary failure answering request \(id)")
        }
    }

    /// Drops the requests whose client did not continue in time. Dovecot answers nothing then
    /// (`auth_request_timeout`); a later `CONT` for such an id gets "timed out". A request being
    /// verified is not dropped: its verdict comes from the daemon, which bounds it.
    public mutating func expire(now: UInt64) -> [DovecotAction] {
        for (id, request) in requests {
            if case .awaitingContinuation(_, let deadline) = request.step, deadline <= now { requests[id] = nil }
        }
        return []
    }

    // MARK: - AUTH and CONT

    private mutating func begin(_ fields: [ArraySlice<UInt8>], now: UInt64) -> [DovecotAction] {
        guard fields.count >= 3, let id = Self.number(fields[1]) else { return close("malformed AUTH") }
        guard requests[id] == nil else { return close("duplicate request id \(id)") }
        let parameters: DovecotAuthParameters
        switch DovecotAuthParameters.parse(fields[3...]) {
        case .success(let parsed): parameters = parsed
        case .failure: return close("AUTH parameters after resp")
        }
        // Dovecot closes here too ("didn't specify service in request"); Postfix always sends it.
        guard let serviceBytes = parameters.service else { return close("AUTH without service") }
        guard makeRoom() else { return close("\(requests.count) requests in flight, all being verified") }
        // Dovecot closes on an unknown mechanism; a FAIL is enough (Postfix checks the name itself).
        guard let mechanism = DovecotMechanism(requested: Array(fields[2])), configuration.mechanisms.contains(mechanism) else {
            return fail(id, reason: "Unsupported authentication mechanism")
        }
        guard let service = DovecotAuthParameters.serviceName(serviceBytes) else { return fail(id, reason: "Invalid service") }
        if configuration.requireSecuredForPlaintext, mechanism.isPlaintext, !parameters.secured {
            return fail(id, reason: "Plaintext authentication disallowed on non-secure (SSL/TLS) connections")
        }
        sequence += 1
        requests[id] = PendingRequest(
            id: id, mechanism: mechanism, service: service, remoteAddress: parameters.remoteAddress,
            localAddress: parameters.localAddress, secured: parameters.secured, sequence: sequence, step: .verifying)
        // An empty resp= is no initial response (Dovecot: "at least Exim does it"); "=" is an
        // empty one (RFC 4954).
        guard let response = parameters.initialResponse, !response.isEmpty else {
            return advance(id, mechanism == .plain ? DovecotPlainMechanism.start() : DovecotLoginMechanism.start(), now: now)
        }
        guard let data = Self.decode(response) else {
            requests[id] = nil
            return fail(id, code: "invalid_base64", reason: "Invalid base64 data in initial response")
        }
        switch mechanism {
        case .plain: return advance(id, DovecotPlainMechanism.response(data), now: now)
        case .login: return advance(id, DovecotLoginMechanism.response(data, in: .loginUser), now: now)
        }
    }

    private mutating func proceed(_ line: [UInt8], now: UInt64) -> [DovecotAction] {
        // CONT\t<id>\t<data>: the data is the rest of the line.
        let rest = line.dropFirst(5)
        guard let tab = rest.firstIndex(of: 0x09), let id = Self.number(rest[..<tab]) else { return close("malformed CONT") }
        guard let request = requests[id] else {
            return [.send(DovecotReply.fail(id: id, reason: "Authentication request timed out").encoded)]
        }
        guard case .awaitingContinuation(let state, _) = request.step else {
            requests[id] = nil
            return fail(id, reason: "Unexpected continuation")
        }
        guard let data = Self.decode(Array(rest[(tab + 1)...])) else {
            requests[id] = nil
            return fail(id, code: "invalid_base64", user: Self.user(in: state), reason: "Invalid base64 data in continued response")
        }
        requests[id]?.step = .verifying
        switch request.mechanism {
        case .plain: return advance(id, DovecotPlainMechanism.response(data), now: now)
        case .login: return advance(id, DovecotLoginMechanism.response(data, in: state), now: now)
        }
    }

    /// Turns a mechanism's step into the request's next state and the actions for it.
    private mutating func advance(_ id: UInt32, _ step: DovecotMechanismStep, now: UInt64) -> [DovecotAction] {
        guard let request = requests[id] else { return [] }
        switch step {
        case .challenge(let challenge, let state):
            let (expiry, tooLong) = configuration.requestExpirySeconds.multipliedReportingOverflow(by: 1000)
            let (deadline, tooLate) = now.addingReportingOverflow(expiry)
            requests[id]?.step = .awaitingContinuation(state, deadline: tooLong || tooLate ? UInt64.max : deadline)
            return [.send(DovecotReply.cont(id: id, challenge: challenge).encoded)]
        case .refused(let user, let reason):
            requests[id] = nil
            return fail(id, user: user, reason: reason)
        case .credentials(let user, let password):
            guard !password.isEmpty else {
                // saslauthd refuses an empty password before PAM ("NULL password received"):
                // the same here, so both protocols give the same answer.
                requests[id] = nil
                return fail(id, user: user, reason: "Empty password")
            }
            requests[id]?.step = .verifying
            let attempt = DovecotLoginAttempt(
                id: id, mechanism: request.mechanism, user: user, password: password, service: request.service,
                remoteAddress: request.remoteAddress, localAddress: request.localAddress, secured: request.secured)
            return [.verify(attempt)]
        }
    }

    /// At the limit, the oldest request waiting for its client goes: Postfix has one request at
    /// a time, so the others are abandoned (an SMTP client's `*`). False when all are verifying.
    private mutating func makeRoom() -> Bool {
        guard requests.count >= configuration.maximumRequestsInFlight else { return true }
        let waiting = requests.values.filter {
            if case .awaitingContinuation = $0.step { return true }
            return false
        }
        guard let oldest = waiting.min(by: { $0.sequence < $1.sequence }) else { return false }
        requests[oldest.id] = nil
        return true
    }

    private mutating func fail(_ id: UInt32, code: String? = nil, user: [UInt8]? = nil, reason: String) -> [DovecotAction] {
        [.send(DovecotReply.fail(id: id, code: code, user: user, reason: reason).encoded)]
    }

    private mutating func close(_ reason: String) -> [DovecotAction] {
        phase = .closed
        requests = [:]
        return [.close(reason: reason)]
    }

    private static func user(in state: DovecotMechanismState) -> [UInt8]? {
        if case .loginPassword(let user) = state { return user }
        return nil
    }

    /// Base64 of a response: empty and `=` are a zero-length response; otherwise strict (RFC
    /// 4648 alphabet, padded), decoded straight into a secret.
    private static func decode(_ text: [UInt8]) -> SecretBytes? {
        guard !text.isEmpty, text != [UInt8(ascii: "=")] else { return SecretBytes(zeroedCount: 0) }
        return Base64.decode(SecretBytes(text))
    }

    /// An unsigned decimal as Dovecot's `str_to_uint` reads it: digits only, within 32 bits.
    static func number<C: Collection>(_ digits: C) -> UInt32? where C.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            value = value * 10 + UInt64(digit - 0x30)
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }
}
