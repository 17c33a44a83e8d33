/// An IP address as the protocols carry it in text: Dovecot's `rip=`, saslauthd's fifth field
/// (`addr;port`). Strict parsing, no resolver: anything else is "no address", never a guess.
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.7`) is the IPv4 address, so one client does not
/// get two penalty entries depending on how the listener spelled it.
public enum IPAddress: Hashable, Sendable {
    case v4([UInt8])
    case v6([UInt8])

    /// The address in `text`; a saslauthd `;port` suffix, IPv6 brackets and a `%zone` are dropped.
    public init?(parsing text: String) {
        var bytes = Array(text.utf8)
        if let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) { bytes = Array(bytes[..<semicolon]) }
        if bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") { bytes = Array(bytes.dropFirst().dropLast()) }
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")) { bytes = Array(bytes[..<percent]) }
        guard !bytes.isEmpty, bytes.count <= 45 else { return nil }
        if !bytes.contains(UInt8(ascii: ":")) {
            guard let v4 = Self.parseIPv4(bytes[...]) else { return nil }
            self = .v4(v4)
            return
        }
        guard let v6 = Self.parseIPv6(bytes) else { return nil }
        if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xff, v6[11] == 0xff {
            self = .v4(Array(v6[12..<16]))
        } else {
            self = .v6(v6)
        }
    }

    /// The address's bytes, network order (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let bytes), .v6(let bytes): bytes
        }
    }

    public var text: String {
        switch self {
        case .v4(let b): return b.map(String.init).joined(separator: ".")
        case .v6(let b):
            var groups: [String] = []
            for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(b[i]) << 8 | UInt16(b[i + 1]), radix: 16)) }
            return groups.joined(separator: ":")
        }
    }

    /// The first `bits` bits kept, the rest zero.
    public func masked(toPrefix bits: Int) -> IPAddress {
        var out = bytes
        for i in out.indices {
            let kept = max(0, min(8, bits - i * 8))
            out[i] &= kept == 8 ? 0xff : ~(UInt8(0xff) >> kept)
        }
        switch self {
        case .v4: return .v4(out)
        case .v6: return .v6(out)
        }
    }

    /// Four decimal parts of 0-255, without leading zeros (`010` would be octal to inet_aton).
    static func parseIPv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    /// RFC 4291 text: eight groups of up to four hex digits, one `::`, an IPv4 tail.
    static func parseIPv6(_ text: [UInt8]) -> [UInt8]? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let colon = UInt8(ascii: ":")
        var index = 0
        if text.starts(with: [colon, colon]) {
            sawGap = true
            index = 2
            if index == text.count { return [UInt8](repeating: 0, count: 16) }
        } else if text.first == colon {
            return nil
        }
        while index < text.count {
            var end = index
            while end < text.count, text[end] != colon { end += 1 }
            let group = text[index..<end]
            if group.contains(UInt8(ascii: ".")) {
                // An IPv4 tail ends the text and fills two groups.
                guard end == text.count, let v4 = parseIPv4(group) else { return nil }
                let pair = [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                if sawGap { tail += pair } else { head += pair }
                index = end
                break
            }
            guard (1...4).contains(group.count), let value = UInt16(String(decoding: group, as: UTF8.self), radix: 16) else {
                return nil
            }
            if sawGap { tail.append(value) } else { head.append(value) }
            guard end < text.count else {
                index = end
                break
            }
            // One colon, or the one `::`.
            if end + 1 < text.count, text[end + 1] == colon {
                guard !sawGap else { return nil }
                sawGap = true
                index = end + 2
            } else {
                guard end + 1 < text.count else { return nil }
                index = end + 1
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}
